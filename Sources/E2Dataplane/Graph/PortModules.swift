import CE2DPDK

/// The source of packets from a port or vport; the graph polls its port and pushes what came.
public final class InputModule: PacketModule {
    public let port: EthernetPort
    /// Set when the port is a vport: delays of packets coming back from the NF.
    public let monitor: VportMonitor?
    public private(set) var received: UInt64 = 0

    public init(port: EthernetPort, monitor: VportMonitor?) {
        self.port = port
        self.monitor = monitor
    }

    public var gateCount: Int { 1 }

    /// Receives a burst; the count of packets that came.
    @inline(__always)
    func poll(_ burst: inout PacketBurst, context: ModuleContext) -> Int {
        let count = port.receive(into: &burst)
        guard count > 0 else { return 0 }
        received &+= UInt64(count)
        if let monitor { monitor.returned(burst, now: context.now) }
        return count
    }

    public func process(_ burst: inout PacketBurst, gates: UnsafeMutablePointer<UInt16>, context: ModuleContext) -> ModuleVerdict { .allTo(0) }
}

/// Sends bursts out of a port or vport; what the port does not take is freed and counted.
public final class OutputModule: PacketModule {
    public let port: EthernetPort
    public let monitor: VportMonitor?
    public private(set) var sent: UInt64 = 0
    public private(set) var dropped: UInt64 = 0

    public init(port: EthernetPort, monitor: VportMonitor?) {
        self.port = port
        self.monitor = monitor
    }

    public var gateCount: Int { 0 }

    @inline(__always)
    public func process(_ burst: inout PacketBurst, gates: UnsafeMutablePointer<UInt16>, context: ModuleContext) -> ModuleVerdict {
        let count = burst.count
        if let monitor { monitor.leaving(burst, now: context.now) }
        let taken = port.send(&burst)
        sent &+= UInt64(taken)
        if taken < count {
            dropped &+= UInt64(count - taken)
            monitor?.dropped(count - taken)
        }
        return .consumed
    }

    public func figures() -> [String: Double] { ["sent": Double(sent), "dropped": Double(dropped)] }
}

/// Frees every packet: the policy's drop.
public final class DropModule: PacketModule {
    public init() {}
    public var gateCount: Int { 0 }

    @inline(__always)
    public func process(_ burst: inout PacketBurst, gates: UnsafeMutablePointer<UInt16>, context: ModuleContext) -> ModuleVerdict {
        burst.free()
        return .consumed
    }
}

/// Counts packets and bytes, then passes them on.
public final class CounterModule: PacketModule {
    public private(set) var packets: UInt64 = 0
    public private(set) var bytes: UInt64 = 0
    public init() {}
    public var gateCount: Int { 1 }

    @inline(__always)
    public func process(_ burst: inout PacketBurst, gates: UnsafeMutablePointer<UInt16>, context: ModuleContext) -> ModuleVerdict {
        packets &+= UInt64(burst.count)
        for index in 0..<burst.count { bytes &+= UInt64(ce2_mbuf_pkt_len(burst[index])) }
        return .allTo(0)
    }

    public func figures() -> [String: Double] { ["packets": Double(packets), "bytes": Double(bytes)] }
}

/// Sends every packet to each of its gates: the original to gate 0, copies to the others.
public final class TeeModule: PacketModule {
    public let gateCount: Int
    public init(gates: Int) { gateCount = gates }

    public func process(_ burst: inout PacketBurst, gates: UnsafeMutablePointer<UInt16>, context: ModuleContext) -> ModuleVerdict { .everyGate }
}
