/// A set of unsigned integers as sorted, disjoint, non-adjacent closed intervals.
///
/// Every numeric header field (addresses, ports, protocol numbers, byte tests) is a set of
/// these; 128 bits cover IPv6 addresses, the widest field.
public struct IntervalSet: Hashable, Sendable {
    public struct Interval: Hashable, Sendable {
        public var lower: UInt128
        public var upper: UInt128
    }

    /// The intervals, ascending; no two touch or overlap.
    public private(set) var intervals: [Interval]

    public init() { intervals = [] }

    /// All values from `lower` to `upper`, both included (empty when `lower > upper`).
    public init(_ lower: UInt128, _ upper: UInt128) {
        intervals = lower <= upper ? [Interval(lower: lower, upper: upper)] : []
    }

    public init(value: UInt128) { self.init(value, value) }

    private init(normalized: [Interval]) { intervals = normalized }

    public var isEmpty: Bool { intervals.isEmpty }
    public var minimum: UInt128? { intervals.first?.lower }

    public func contains(_ value: UInt128) -> Bool {
        intervals.contains { $0.lower <= value && value <= $0.upper }
    }

    public func union(_ other: IntervalSet) -> IntervalSet {
        let all = (intervals + other.intervals).sorted { $0.lower < $1.lower }
        var merged: [Interval] = []
        for interval in all {
            if let last = merged.last, last.upper == .max || interval.lower <= last.upper + 1 {
                merged[merged.count - 1].upper = max(last.upper, interval.upper)
            } else {
                merged.append(interval)
            }
        }
        return IntervalSet(normalized: merged)
    }

    /// Whether the sets share a value; allocates nothing.
    public func intersects(_ other: IntervalSet) -> Bool {
        var i = 0, j = 0
        while i < intervals.count && j < other.intervals.count {
            let a = intervals[i], b = other.intervals[j]
            if max(a.lower, b.lower) <= min(a.upper, b.upper) { return true }
            if a.upper < b.upper { i += 1 } else { j += 1 }
        }
        return false
    }

    public func intersection(_ other: IntervalSet) -> IntervalSet {
        var result: [Interval] = []
        var i = 0, j = 0
        while i < intervals.count && j < other.intervals.count {
            let a = intervals[i], b = other.intervals[j]
            let lower = max(a.lower, b.lower), upper = min(a.upper, b.upper)
            if lower <= upper { result.append(Interval(lower: lower, upper: upper)) }
            if a.upper < b.upper { i += 1 } else { j += 1 }
        }
        return IntervalSet(normalized: result)
    }

    /// The values from 0 to `maximum` that are not in the set.
    public func complement(maximum: UInt128) -> IntervalSet {
        var result: [Interval] = []
        var next: UInt128 = 0
        var exhausted = false
        for interval in intervals where interval.lower <= maximum {
            if interval.lower > next { result.append(Interval(lower: next, upper: interval.lower - 1)) }
            if interval.upper >= maximum { exhausted = true; break }
            next = interval.upper + 1
        }
        if !exhausted { result.append(Interval(lower: next, upper: maximum)) }
        return IntervalSet(normalized: result)
    }

    /// Whether the set holds every value from 0 to `maximum`.
    public func isFull(maximum: UInt128) -> Bool {
        intervals.count == 1 && intervals[0].lower == 0 && intervals[0].upper >= maximum
    }

    /// The values `v` of `width` bits with `v & mask == value` (pcap's byte tests), as intervals.
    ///
    /// Bits outside the mask are free; the free bits below the lowest masked bit make one
    /// interval, so the count is 2^(free bits above the lowest masked bit). Nil when that
    /// exceeds `limit`: such a test cannot be analysed exactly at a sane size.
    public static func masked(mask: UInt128, value: UInt128, width: Int, limit: Int = 4096) -> IntervalSet? {
        let maximum: UInt128 = width >= 128 ? .max : (1 << UInt128(width)) - 1
        let mask = mask & maximum
        guard value & ~mask == 0 else { return IntervalSet() }
        guard mask != 0 else { return IntervalSet(0, maximum) }
        let lowBits = mask.trailingZeroBitCount
        let block: UInt128 = (1 << UInt128(lowBits)) - 1
        // Enumerate the free bits above the lowest masked bit.
        let highFree = (~mask & maximum) & ~block
        guard highFree.nonzeroBitCount < 63, 1 << highFree.nonzeroBitCount <= limit else { return nil }
        var result: [Interval] = []
        var subset: UInt128 = 0
        repeat {
            let start = value | subset
            result.append(Interval(lower: start, upper: start | block))
            subset = (subset &- highFree) & highFree
        } while subset != 0
        return IntervalSet(normalized: result.sorted { $0.lower < $1.lower })
    }
}
