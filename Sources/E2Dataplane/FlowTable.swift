/// A fixed-capacity hash map from flows to four 64-bit words, allocated once: lookups,
/// inserts and removals on the packet path allocate nothing. Linear probing; removal shifts
/// the rest of the cluster back so lookups never stop early.
///
/// Each user gives the words its own meaning (`FlowSteering`: the gate; `FlowTracker`:
/// packets, bytes, first and last seen); `AllocationBudgetTests` holds it to zero allocations.
public final class FlowTable {
    public struct Value: Sendable, Equatable {
        public var words: (UInt64, UInt64, UInt64, UInt64)

        public init(_ a: UInt64 = 0, _ b: UInt64 = 0, _ c: UInt64 = 0, _ d: UInt64 = 0) {
            words = (a, b, c, d)
        }

        public static func == (lhs: Value, rhs: Value) -> Bool { lhs.words == rhs.words }
    }

    struct Slot {
        var used = false
        var key = FlowKey()
        var value = Value()
    }

    private let slots: UnsafeMutablePointer<Slot>
    public let capacity: Int
    public private(set) var count = 0
    /// `capacity` is rounded up to a power of two.
    public init(capacity: Int) {
        self.capacity = max(16, 1 << (64 - (capacity - 1).leadingZeroBitCount))
        slots = .allocate(capacity: self.capacity)
        slots.initialize(repeating: Slot(), count: self.capacity)
    }

    deinit {
        slots.deinitialize(count: capacity)
        slots.deallocate()
    }

    /// All five fields, as a constant: an array literal here would allocate on every call.
    static let allFields = FlowKey.FieldSet(rawValue: 0b11111)

    @inline(__always)
    private func home(_ key: FlowKey) -> Int { Int(key.flowID(over: Self.allFields)) & (capacity - 1) }

    /// The slot holding `key`, or the empty slot where it would go; nil when the table is full.
    @inline(__always)
    private func find(_ key: FlowKey) -> Int? {
        var index = home(key)
        for _ in 0..<capacity {
            if !slots[index].used || slots[index].key == key { return index }
            index = (index + 1) & (capacity - 1)
        }
        return nil
    }

    @inline(__always)
    public subscript(key: FlowKey) -> Value? {
        guard let index = find(key), slots[index].used else { return nil }
        return slots[index].value
    }

    /// Sets the value of `key`; false when the table is full.
    @discardableResult
    @inline(__always)
    public func set(_ key: FlowKey, _ value: Value) -> Bool {
        guard let index = find(key) else { return false }
        if !slots[index].used { count += 1 }
        slots[index] = Slot(used: true, key: key, value: value)
        return true
    }

    public func remove(_ key: FlowKey) {
        guard let index = find(key), slots[index].used else { return }
        slots[index] = Slot()
        count -= 1
        var next = (index + 1) & (capacity - 1)
        while slots[next].used {
            let moved = slots[next]
            slots[next] = Slot()
            count -= 1
            set(moved.key, moved.value)
            next = (next + 1) & (capacity - 1)
        }
    }

    /// Removes every entry `shouldRemove` picks; returns how many went. Allocates nothing, so
    /// idle expiry can run on the dataplane thread. A removal pulls later entries of its cluster
    /// back, possibly into the slot just emptied, so that slot is looked at again; every entry is
    /// judged at least once.
    @discardableResult
    public func removeAll(where shouldRemove: (FlowKey, Value) -> Bool) -> Int {
        var removed = 0
        var index = 0
        while index < capacity {
            if slots[index].used && shouldRemove(slots[index].key, slots[index].value) {
                remove(slots[index].key)
                removed += 1
            } else {
                index += 1
            }
        }
        return removed
    }

    /// Every entry (control path; allocates).
    public var entries: [(key: FlowKey, value: Value)] {
        (0..<capacity).filter { slots[$0].used }.map { (slots[$0].key, slots[$0].value) }
    }
}
