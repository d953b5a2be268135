import CE2DPDK
#if canImport(Glibc)
import Glibc
#endif

/// A port for one NF instance (§4), seen by the graph as an ordinary DPDK port.
///
/// Native: two rings in DPDK shared memory, `e2.NAME.n` (E2D to the NF) and `e2.NAME.e` (the NF
/// to E2D), wrapped as an ethdev with `rte_eth_from_rings`; the NF process attaches as a DPDK
/// secondary process (the `E2NF` library) and exchanges mbuf pointers, so no packet is copied.
/// A small memzone, `e2.NAME.p`, holds the pid of the attached NF, which E2D watches.
///
/// Legacy: a TAP interface (DPDK's `net_tap`) that any unmodified program can read and write.
public final class Vport {
    public let spec: VportSpec
    public let port: EthernetPort
    /// The DPDK device name (`net_ring_e2.nat0` or `net_tap_nat0`).
    public let deviceName: String
    /// The lcore ID the NF must use (`--lcore`): DPDK mempool caches are per lcore ID and
    /// shared between processes, so two processes must never use the same one.
    public let nfLcore: Int
    let toNF: OpaquePointer?
    let fromNF: OpaquePointer?
    let pidZone: UnsafeMutableRawPointer?
    let memzone: UnsafePointer<rte_memzone>?

    /// The ring names an NF looks up for vport `name`.
    public static func ringNames(_ name: String) -> (toNF: String, fromNF: String) { ("e2.\(name).n", "e2.\(name).e") }
    /// The memzone an NF writes its pid into.
    public static func pidZoneName(_ name: String) -> String { "e2.\(name).p" }

    public init(_ spec: VportSpec, pool: PacketPool, nfLcore: Int) throws(DataplaneError) {
        self.spec = spec
        self.nfLcore = nfLcore
        let socket = Int32(bitPattern: rte_socket_id())
        switch spec.kind {
        case .native:
            let names = Self.ringNames(spec.name)
            let size = UInt32(spec.ringSize ?? 1024)
            // Single producer and consumer on each side: E2D's one thread and the NF's.
            let flags = UInt32(RING_F_SP_ENQ | RING_F_SC_DEQ)
            guard let toNF = rte_ring_create(names.toNF, size, socket, flags) else { throw .fromErrno("rte_ring_create(\(names.toNF))") }
            guard let fromNF = rte_ring_create(names.fromNF, size, socket, flags) else {
                rte_ring_free(toNF)
                throw .fromErrno("rte_ring_create(\(names.fromNF))")
            }
            guard let zone = rte_memzone_reserve(Self.pidZoneName(spec.name), 64, socket, 0) else {
                rte_ring_free(toNF)
                rte_ring_free(fromNF)
                throw .fromErrno("rte_memzone_reserve(\(Self.pidZoneName(spec.name)))")
            }
            let pid = ce2_memzone_address(zone)!
            ce2_store_pid(pid, 0)
            // rte_eth_from_rings names the device net_ring_ followed by the name it is given.
            deviceName = "net_ring_e2.\(spec.name)"
            var receive: [OpaquePointer?] = [fromNF]
            var transmit: [OpaquePointer?] = [toNF]
            let id = rte_eth_from_rings("e2.\(spec.name)", &receive, 1, &transmit, 1, UInt32(bitPattern: socket))
            guard id >= 0 else {
                rte_memzone_free(zone)
                rte_ring_free(toNF)
                rte_ring_free(fromNF)
                throw .fromErrno("rte_eth_from_rings(\(deviceName))")
            }
            self.toNF = toNF
            self.fromNF = fromNF
            pidZone = pid
            memzone = zone
        case .legacy:
            deviceName = "net_tap_\(spec.name)"
            try VirtualDevice.create(deviceName, "iface=\(spec.interface ?? spec.name)")
            toNF = nil
            fromNF = nil
            pidZone = nil
            memzone = nil
        }
        do {
            port = try EthernetPort(named: deviceName, pool: pool)
        } catch {
            if spec.kind == .legacy { VirtualDevice.remove(deviceName) }
            throw error
        }
    }

    /// The pid of the NF attached to a native vport, 0 when none said so.
    public var attachedPid: Int32 { pidZone.map { ce2_load_pid($0) } ?? 0 }

    /// Forgets the attached NF (it is gone).
    func clearAttachedPid() { if let pidZone { ce2_store_pid(pidZone, 0) } }

    /// Packets waiting for the NF, and the ring's capacity (native vports only).
    var toNFOccupancy: (count: Int, capacity: Int)? {
        toNF.map { (Int(ce2_ring_count($0)), Int(ce2_ring_capacity($0))) }
    }

    /// How far the NF has read its ring.
    var toNFConsumerTail: UInt32? { toNF.map { ce2_ring_consumer_tail($0) } }

    /// Closes the port and frees the rings (with the packets still in them) and the memzone.
    /// The NF must have stopped: it holds pointers into both rings.
    public func close() {
        port.close()
        if spec.kind == .legacy { VirtualDevice.remove(deviceName) }
        for ring in [toNF, fromNF].compactMap({ $0 }) {
            var packet: UnsafeMutableRawPointer?
            while rte_ring_dequeue(ring, &packet) == 0 { rte_pktmbuf_free(OpaquePointer(packet)) }
            rte_ring_free(ring)
        }
        if let memzone { rte_memzone_free(memzone) }
    }
}
