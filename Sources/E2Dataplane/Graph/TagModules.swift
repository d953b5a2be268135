/// Sets one metadata tag on every packet (an attribute an NF derived, or a pipelet's class).
public final class TagSetModule: PacketModule {
    let slot: Int
    let value: UInt8
    public init(slot: Int, value: UInt8) {
        self.slot = slot
        self.value = value
    }
    public var gateCount: Int { 1 }

    @inline(__always)
    public func process(_ burst: inout PacketBurst, gates: UnsafeMutablePointer<UInt16>, context: ModuleContext) -> ModuleVerdict {
        context.tags.set(burst, slot: slot, value: value)
        return .allTo(0)
    }
}

/// Gate by a tag's value: gate i for `values[i]`, the last gate for anything else.
public final class TagMatchModule: PacketModule {
    let slot: Int
    let values: UnsafeMutableBufferPointer<UInt8>
    public init(slot: Int, values: [UInt8]) {
        self.slot = slot
        self.values = .allocate(capacity: values.count)
        _ = self.values.initialize(from: values)
    }
    deinit { values.deallocate() }
    public var gateCount: Int { values.count + 1 }

    @inline(__always)
    public func process(_ burst: inout PacketBurst, gates: UnsafeMutablePointer<UInt16>, context: ModuleContext) -> ModuleVerdict {
        context.tags.match(burst, slot: slot, values: UnsafeBufferPointer(values), gates: gates)
        return .perPacket
    }
}

/// Clears every tag (before a legacy NF, or when traffic leaves E2).
public final class TagStripModule: PacketModule {
    public init() {}
    public var gateCount: Int { 1 }

    @inline(__always)
    public func process(_ burst: inout PacketBurst, gates: UnsafeMutablePointer<UInt16>, context: ModuleContext) -> ModuleVerdict {
        context.tags.strip(burst)
        return .allTo(0)
    }
}
