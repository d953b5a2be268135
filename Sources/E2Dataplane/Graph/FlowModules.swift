import CE2DPDK

/// Flow-ID range steering with per-flow exceptions over an NF's instances (§5.4).
public final class FlowSteerModule: PacketModule {
    public let steering: FlowSteering
    public let gateCount: Int
    let tracking: Bool
    var nextExpiry: UInt64 = 0

    public init(steering: FlowSteering, gates: Int, tracking: Bool = false) {
        self.steering = steering
        gateCount = gates
        self.tracking = tracking
    }

    @inline(__always)
    public func process(_ burst: inout PacketBurst, gates: UnsafeMutablePointer<UInt16>, context: ModuleContext) -> ModuleVerdict {
        if tracking {
            for index in 0..<burst.count { gates[index] = steering.gate(for: burst[index], now: context.now) }
            // Idle flows (and their exceptions) go, at most ten times per idle period.
            if context.now >= nextExpiry {
                steering.expire(now: context.now)
                nextExpiry = context.now &+ max(steering.idleTicks / 10, 1)
            }
        } else {
            for index in 0..<burst.count { gates[index] = steering.gate(for: burst[index]) }
        }
        return .perPacket
    }

    public func figures() -> [String: Double] {
        ["exceptions": Double(steering.exceptionCount), "ranges": Double(steering.ranges.count),
         "activeFlows": Double(steering.activeFlows), "pinned": Double(steering.pinned)]
    }
}

/// Counts active flows (5-tuple) with idle expiry; passes packets on.
public final class FlowTrackerModule: PacketModule {
    public let tracker: FlowTracker
    let idleTicks: UInt64
    var nextExpiry: UInt64 = 0

    public init(tracker: FlowTracker, idleSeconds: Double, ticksPerSecond: UInt64) {
        self.tracker = tracker
        idleTicks = UInt64(idleSeconds * Double(ticksPerSecond))
    }
    public var gateCount: Int { 1 }

    @inline(__always)
    public func process(_ burst: inout PacketBurst, gates: UnsafeMutablePointer<UInt16>, context: ModuleContext) -> ModuleVerdict {
        for index in 0..<burst.count {
            let packet = burst[index]
            if let key = FlowKey(packet: packet) { tracker.record(key, length: Int(ce2_mbuf_pkt_len(packet)), now: context.now) }
        }
        // Expiry walks the table, so at most ten times per idle period.
        if context.now >= nextExpiry {
            tracker.expire(idle: idleTicks, now: context.now)
            nextExpiry = context.now &+ max(idleTicks / 10, 1)
        }
        return .allTo(0)
    }

    public func figures() -> [String: Double] {
        ["activeFlows": Double(tracker.activeFlows), "expired": Double(tracker.expired), "untracked": Double(tracker.untracked)]
    }
}
