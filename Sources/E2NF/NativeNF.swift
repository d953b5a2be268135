import CE2DPDK
import E2Dataplane
#if canImport(Glibc)
import Glibc
#endif

/// The library a native NF links to exchange bursts with E2D through its vports (§4).
///
/// The NF attaches to the E2D of its server as a DPDK secondary process: it maps E2D's
/// memory, finds its vport's two rings by name and passes mbuf pointers through them, so a
/// packet is never copied between E2D and the NF. The NF can therefore read and write every
/// packet buffer of E2D's pool (and, in principle, E2D's other shared memory): a native NF is
/// trusted code, which is why untrusted programs run as legacy NFs on a legacy (veth) vport instead.
public final class NativeNF {
    /// E2D's packet pool, for NFs that make packets (sources, replies).
    public let pool: PacketPool
    /// The metadata tags of packets (the same field E2D registered).
    public let tags: MetadataTags

    /// Attaches to the E2D that runs with DPDK file prefix `dataplane`.
    ///
    /// `lcore` must be the ID E2D gave the vport (`nfLcore`): mempool caches are kept per
    /// lcore ID in shared memory, so two processes must never use the same one. `cpu` is the
    /// core the NF's thread is pinned to.
    public init(dataplane: String, lcore: Int, cpu: Int = 0, extraEALArguments: [String] = []) throws(DataplaneError) {
        guard lcore > 0 && lcore < 128 else {
            throw DataplaneError(operation: "attaching to E2D", code: 0, reason: "lcore \(lcore): NFs use the IDs 1-127 that E2D hands out per vport; E2D itself is 0")
        }
        var options = EALOptions(filePrefix: dataplane, useHugepages: true, inMemory: false, lcores: "\(lcore)@\(cpu)")
        options.secondary = true
        options.extraArguments = extraEALArguments
        do {
            try EAL.start(options)
        } catch {
            throw DataplaneError(operation: error.operation, code: error.code,
                                 reason: "\(error.reason); is E2D running with file prefix \(dataplane), on hugepages?")
        }
        pool = try PacketPool(lookup: "e2d")
        tags = try MetadataTags()
    }

    /// Attaches to native vport `name` and tells E2D this process serves it.
    public func attach(_ name: String) throws(DataplaneError) -> NFVport {
        try NFVport(name: name)
    }
}

/// One native vport as an NF sees it: bursts in from E2D, bursts back out to E2D.
public final class NFVport {
    public let name: String
    /// E2D to the NF.
    let incoming: OpaquePointer
    /// The NF to E2D.
    let outgoing: OpaquePointer

    init(name: String) throws(DataplaneError) {
        let names = Vport.ringNames(name)
        guard let incoming = rte_ring_lookup(names.toNF), let outgoing = rte_ring_lookup(names.fromNF) else {
            throw DataplaneError(operation: "rte_ring_lookup(\(names.toNF))", code: ce2_errno(), reason: "E2D has no native vport named \(name)")
        }
        guard let zone = rte_memzone_lookup(Vport.pidZoneName(name)) else { throw .fromErrno("rte_memzone_lookup(\(Vport.pidZoneName(name)))") }
        ce2_store_pid(UnsafeMutableRawPointer(mutating: ce2_memzone_address(zone)), getpid())
        self.name = name
        self.incoming = incoming
        self.outgoing = outgoing
    }

    /// Fills `burst` with packets E2D sent; returns how many came.
    @inline(__always)
    public func receive(into burst: inout PacketBurst) -> Int {
        precondition(burst.count == 0, "receive into an empty burst")
        burst.count = Int(ce2_ring_dequeue_burst(incoming, burst.packets, UInt32(burst.capacity)))
        return burst.count
    }

    /// Hands the burst to E2D; what the ring had no room for is freed. Returns how many went.
    @inline(__always)
    public func send(_ burst: inout PacketBurst) -> Int {
        let sent = Int(ce2_ring_enqueue_burst(outgoing, burst.packets, UInt32(burst.count)))
        if sent < burst.count { ce2_free_burst(burst.packets + sent, UInt32(burst.count - sent)) }
        burst.count = 0
        return sent
    }
}
