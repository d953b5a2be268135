import CE2DPDK

/// A pool of packet buffers (an `rte_mempool` of mbufs) that ports receive into.
public final class PacketPool {
    /// The DPDK pool, for ports and for code that allocates packets.
    public let pointer: OpaquePointer

    /// Creates a pool of `count` buffers of DPDK's default size; the EAL must run.
    ///
    /// `count` is best one less than a power of two (DPDK's ring sizing).
    public init(name: String, count: UInt32 = 8191, cacheSize: UInt32 = 256) throws(DataplaneError) {
        guard let pool = rte_pktmbuf_pool_create(
            name, count, cacheSize, 0, ce2_mbuf_default_buf_size(), Int32(bitPattern: rte_socket_id()))
        else {
            throw DataplaneError.fromErrno("rte_pktmbuf_pool_create(\(name), \(count) buffers)")
        }
        pointer = pool
        owned = true
    }

    /// The pool another process (E2D) created under `name`, for an NF attached to it.
    public init(lookup name: String) throws(DataplaneError) {
        guard let pool = rte_mempool_lookup(name) else { throw .fromErrno("rte_mempool_lookup(\(name))") }
        pointer = pool
        owned = false
    }

    /// Whether this process created the pool (and frees it).
    private let owned: Bool

    /// Buffers free in the pool now; a leak shows as a count that does not come back.
    public var available: UInt32 { rte_mempool_avail_count(pointer) }

    deinit { if owned { rte_mempool_free(pointer) } }
}
