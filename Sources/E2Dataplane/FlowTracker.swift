/// Active flows seen on a vport: packets, bytes and when each flow was last seen, with idle
/// expiry. Migration avoidance asks it which flows to pin before a split (§5.4).
///
/// Times are nanoseconds from the caller's clock, so the tracker itself reads no clock.
public final class FlowTracker {
    public struct Flow: Sendable, Equatable {
        public var packets: UInt64 = 0
        public var bytes: UInt64 = 0
        public var firstSeen: UInt64 = 0
        public var lastSeen: UInt64 = 0

        public init(packets: UInt64 = 0, bytes: UInt64 = 0, firstSeen: UInt64 = 0, lastSeen: UInt64 = 0) {
            self.packets = packets
            self.bytes = bytes
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen
        }
    }

    /// Per flow: packets, bytes, first seen, last seen.
    private let table: FlowTable
    /// Packets of flows the table had no room for.
    public private(set) var untracked: UInt64 = 0
    /// Flows that ended by idling out.
    public private(set) var expired: UInt64 = 0

    public init(capacity: Int = 65_536) {
        table = FlowTable(capacity: capacity)
    }

    /// Flows now tracked.
    public var activeFlows: Int { table.count }

    /// Counts a packet of `key` of `length` bytes seen at `now`.
    @inline(__always)
    public func record(_ key: FlowKey, length: Int, now: UInt64) {
        var words = table[key]?.words ?? (0, 0, now, now)
        words.0 &+= 1
        words.1 &+= UInt64(length)
        words.3 = now
        if !table.set(key, FlowTable.Value(words.0, words.1, words.2, words.3)) { untracked &+= 1 }
    }

    public func flow(_ key: FlowKey) -> Flow? { table[key].map(Self.flow) }

    static func flow(_ value: FlowTable.Value) -> Flow {
        Flow(packets: value.words.0, bytes: value.words.1, firstSeen: value.words.2, lastSeen: value.words.3)
    }

    /// Forgets flows idle for more than `idle` nanoseconds at `now`; returns how many.
    @discardableResult
    public func expire(idle: UInt64, now: UInt64) -> Int {
        let removed = table.removeAll { _, value in now &- value.words.3 > idle }
        expired &+= UInt64(removed)
        return removed
    }

    /// The flows now active (control path).
    public var flows: [(key: FlowKey, flow: Flow)] { table.entries.map { ($0.key, Self.flow($0.value)) } }
}
