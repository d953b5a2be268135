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
/// Legacy: a veth pair. The NF's end carries the configured interface name and is an ordinary
/// Linux interface that any unmodified program can use (or that can be moved into a network
/// namespace); E2D reads and writes its own end, `NAME-d`, with DPDK's `net_af_packet` (mmap
/// rings, qdisc bypassed). A TAP vport (`net_tap`) was measured first and is 2-4x slower here:
/// the TAP driver takes a SIGIO per burst and a system call per packet.
public final class Vport {
    public let spec: VportSpec
    public let port: EthernetPort
    /// The DPDK device name (`net_ring_e2.nat0` or `net_af_packet_nat0`).
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
            deviceName = "net_af_packet_\(spec.name)"
            let interface = spec.interface ?? spec.name
            try VethPair.create(dataplaneEnd: Self.dataplaneEnd(interface), nfEnd: interface)
            do {
                try VirtualDevice.create(deviceName, "iface=\(Self.dataplaneEnd(interface)),qdisc_bypass=1")
            } catch {
                VethPair.delete(Self.dataplaneEnd(interface))
                throw error
            }
            toNF = nil
            fromNF = nil
            pidZone = nil
            memzone = nil
        }
        do {
            port = try EthernetPort(named: deviceName, pool: pool)
        } catch {
            if spec.kind == .legacy {
                VirtualDevice.remove(deviceName)
                VethPair.delete(Self.dataplaneEnd(spec.interface ?? spec.name))
            }
            throw error
        }
    }

    /// E2D's end of a legacy vport's veth pair.
    public static func dataplaneEnd(_ interface: String) -> String { interface + "-d" }

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
        if spec.kind == .legacy {
            VirtualDevice.remove(deviceName)
            VethPair.delete(Self.dataplaneEnd(spec.interface ?? spec.name))
        }
        for ring in [toNF, fromNF].compactMap({ $0 }) {
            var packet: UnsafeMutableRawPointer?
            while rte_ring_dequeue(ring, &packet) == 0 { rte_pktmbuf_free(OpaquePointer(packet)) }
            rte_ring_free(ring)
        }
        if let memzone { rte_memzone_free(memzone) }
    }
}
