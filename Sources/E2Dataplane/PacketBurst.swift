import CE2DPDK

/// A fixed-capacity batch of packets, the unit every port and module works on.
///
/// The storage is allocated once, when the burst is made, so receiving and sending never
/// allocate; DPDK's usual burst of 32 is the default.
public struct PacketBurst: ~Copyable {
    /// The packets, `count` of them valid.
    public let packets: UnsafeMutablePointer<OpaquePointer?>
    public let capacity: Int
    public var count: Int = 0

    /// Whether `packets` was allocated by this burst (and is freed with it).
    private let ownsStorage: Bool

    public init(capacity: Int = 32) {
        precondition(capacity > 0 && capacity <= Int(UInt16.max))
        self.capacity = capacity
        packets = .allocate(capacity: capacity)
        packets.initialize(repeating: nil, count: capacity)
        ownsStorage = true
    }

    /// A burst over storage someone else owns and keeps (the graph's per-module scratch), so
    /// making one allocates nothing.
    public init(storage: UnsafeMutablePointer<OpaquePointer?>, capacity: Int) {
        self.capacity = capacity
        packets = storage
        ownsStorage = false
    }

    /// The packet at `index`, which must be below `count`.
    public subscript(index: Int) -> OpaquePointer {
        precondition(index < count)
        return packets[index]!
    }

    /// Takes `count` empty packets from a pool; false (and nothing taken) when it has too few.
    public mutating func allocate(_ count: Int, from pool: PacketPool) -> Bool {
        precondition(count <= capacity)
        guard ce2_alloc_burst(pool.pointer, packets, UInt32(count)) == 0 else { return false }
        self.count = count
        return true
    }

    /// Returns every packet of the burst to its pool.
    public mutating func free() {
        ce2_free_burst(packets, UInt32(count))
        count = 0
    }

    deinit {
        if count > 0 { ce2_free_burst(packets, UInt32(count)) }
        if ownsStorage { packets.deallocate() }
    }
}
