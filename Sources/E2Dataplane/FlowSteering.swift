import CE2DPDK
import E2Engine

/// Spreads packets over an NF's instances by flow ID ranges, with per-flow exceptions: the
/// steering of migration avoidance (§5.4). When an instance splits, flows already active keep
/// their instance through exceptions while new flows follow the new ranges.
///
/// The exception table has a fixed capacity, allocated once; lookups and the range search
/// allocate nothing. Changes come from the control path between bursts.
public final class FlowSteering {
    public struct Range: Sendable, Equatable {
        public var lower: UInt16
        public var upper: UInt16
        public var gate: UInt16

        public init(lower: UInt16, upper: UInt16, gate: UInt16) {
            self.lower = lower
            self.upper = upper
            self.gate = gate
        }
    }

    public let fields: FlowKey.FieldSet
    /// Where packets that are not IP go.
    public let nonIPGate: UInt16
    public private(set) var ranges: [Range]
    /// Pinned flows; word 0 is the gate.
    private let exceptions: FlowTable

    /// Flows pinned to a gate.
    public var exceptionCount: Int { exceptions.count }
    /// With migration avoidance: the flows seen lately and their gate (word 0) and last packet (word 1).
    private let active: FlowTable?
    /// How long a flow may be silent before it no longer counts as active.
    public let idleTicks: UInt64
    /// Flows pinned by `setRanges` so far.
    public private(set) var pinned: UInt64 = 0

    /// `ranges` must cover every flow ID exactly once; `exceptionCapacity` is rounded up to a power of two.
    /// With `trackingCapacity` > 0, the module remembers the flows it steers (migration
    /// avoidance, §5.4): when the ranges change, flows still active keep their gate.
    public init(fields: FlowKey.FieldSet, ranges: [Range], nonIPGate: UInt16 = 0, exceptionCapacity: Int = 4096,
                trackingCapacity: Int = 0, idleTicks: UInt64 = 0) throws(DataplaneError) {
        self.fields = fields
        self.nonIPGate = nonIPGate
        self.ranges = try Self.checked(ranges)
        exceptions = FlowTable(capacity: exceptionCapacity)
        active = trackingCapacity > 0 ? FlowTable(capacity: trackingCapacity) : nil
        self.idleTicks = idleTicks
    }

    /// The gate of a packet seen at `now`, remembering its flow when tracking.
    @inline(__always)
    public func gate(for packet: OpaquePointer, now: UInt64) -> UInt16 {
        guard let key = FlowKey(packet: packet) else { return nonIPGate }
        var gate: UInt16
        if exceptionCount > 0, let pinned = exception(for: key) { gate = pinned } else { gate = self.gate(forFlowID: key.flowID(over: fields)) }
        if let active { _ = active.set(key, .init(UInt64(gate), now)) }
        return gate
    }

    /// Replaces the ranges; flows active at `now` whose gate would change are pinned to the
    /// gate they have (their instance keeps its state), new flows follow the new ranges.
    public func setRanges(_ ranges: [Range], now: UInt64) throws(DataplaneError) {
        let checked = try Self.checked(ranges)
        self.ranges = checked
        guard let active else { return }
        for (key, value) in active.entries where now &- value.words.1 <= idleTicks {
            let current = UInt16(truncatingIfNeeded: value.words.0)
            if exception(for: key) == nil && gate(forFlowID: key.flowID(over: fields)) != current, addException(key, gate: current) {
                pinned &+= 1
            }
        }
    }

    /// Takes over the active flows of the module this one replaces (its gates renumbered by
    /// `gateMap`; flows whose gate has no counterpart follow the ranges) and pins those the
    /// ranges would move: an instance added by a split gets only new flows (§5.4).
    public func adopt(_ old: FlowSteering, gateMap: [UInt16: UInt16], now: UInt64) {
        guard let active, let previous = old.active else { return }
        for (key, value) in previous.entries where now &- value.words.1 <= old.idleTicks {
            guard let mapped = gateMap[UInt16(truncatingIfNeeded: value.words.0)] else { continue }
            _ = active.set(key, .init(UInt64(mapped), value.words.1))
            if gate(forFlowID: key.flowID(over: fields)) != mapped, addException(key, gate: mapped) { pinned &+= 1 }
        }
    }

    /// Forgets flows idle since before `now` - idleTicks, with their exceptions; how many.
    /// Runs on the dataplane thread between bursts, so it allocates nothing.
    @discardableResult
    public func expire(now: UInt64) -> Int {
        guard let active else { return 0 }
        let exceptions = self.exceptions, idleTicks = self.idleTicks
        return active.removeAll { key, value in
            guard now &- value.words.1 > idleTicks else { return false }
            exceptions.remove(key)
            return true
        }
    }

    /// Flows seen within the idle time (control path).
    public var activeFlows: Int { active?.count ?? 0 }

    /// The ranges sorted, or an error naming the gap or overlap.
    static func checked(_ ranges: [Range]) throws(DataplaneError) -> [Range] {
        let sorted = ranges.sorted { $0.lower < $1.lower }
        var next = 0
        for range in sorted {
            guard Int(range.lower) == next, range.upper >= range.lower else {
                throw DataplaneError(operation: "setting flow-ID ranges", code: 0,
                                     reason: "the ranges must cover 0-65535 exactly once; flow ID \(next) is " + (Int(range.lower) > next ? "not covered" : "covered twice"))
            }
            next = Int(range.upper) + 1
        }
        guard next == 65536 else {
            throw DataplaneError(operation: "setting flow-ID ranges", code: 0, reason: "the ranges must cover 0-65535 exactly once; \(next)-65535 is not covered")
        }
        return sorted
    }

    /// Replaces the ranges (a split or a merge), keeping every exception.
    public func setRanges(_ ranges: [Range]) throws(DataplaneError) {
        self.ranges = try Self.checked(ranges)
    }

    /// The gate of a flow ID by the ranges alone.
    @inline(__always)
    public func gate(forFlowID id: UInt16) -> UInt16 {
        var low = 0, high = ranges.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if ranges[middle].lower <= id { low = middle } else { high = middle - 1 }
        }
        return ranges[low].gate
    }

    /// The gate of a packet: its flow's exception if it has one, else its flow ID's range.
    @inline(__always)
    public func gate(for packet: OpaquePointer) -> UInt16 {
        guard let key = FlowKey(packet: packet) else { return nonIPGate }
        if exceptionCount > 0, let pinned = exception(for: key) { return pinned }
        return gate(forFlowID: key.flowID(over: fields))
    }

    // MARK: Exceptions

    public func exception(for key: FlowKey) -> UInt16? { exceptions[key].map { UInt16(truncatingIfNeeded: $0.words.0) } }

    /// Pins a flow to a gate; false when the table is full (the flow then follows the ranges).
    @discardableResult
    public func addException(_ key: FlowKey, gate: UInt16) -> Bool { exceptions.set(key, .init(UInt64(gate))) }

    /// Unpins a flow (it ended, or its instance may change).
    public func removeException(_ key: FlowKey) { exceptions.remove(key) }
}
