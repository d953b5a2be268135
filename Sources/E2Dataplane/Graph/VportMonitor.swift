import CE2DPDK

/// The load monitor of one vport (§5.2): queue occupancy, delay through the NF and drops,
/// sampled at a fixed interval; raises overload and stall events with hysteresis.
///
/// Packets leaving for a native NF carry a time stamp (an mbuf dynamic field); the NF hands
/// the same mbuf back, so the delay is measured without the NF's help.
public final class VportMonitor {
    public let vport: Vport
    let stampOffset: Int32
    let settings: MonitorSettings
    let ticksPerSecond: UInt64

    // Since the last sample.
    var oldestOutstanding: UInt64 = 0
    var maxDelayTicks: UInt64 = 0
    var dropsSinceSample: UInt64 = 0
    // State across samples.
    var nextSample: UInt64 = 0
    var overloadedSamples = 0
    var calmSamples = 0
    public private(set) var overloaded = false
    public private(set) var stalled = false
    var lastTail: UInt32 = 0
    var unreadSince: UInt64 = 0
    public private(set) var totalDrops: UInt64 = 0
    /// The last sample's figures, for statistics.
    public private(set) var lastOccupancy: Double = 0
    public private(set) var lastDelayMicros: Double = 0

    public init(vport: Vport, stampOffset: Int32, settings: MonitorSettings, ticksPerSecond: UInt64) {
        self.vport = vport
        self.stampOffset = stampOffset
        self.settings = settings
        self.ticksPerSecond = ticksPerSecond
    }

    /// Stamps packets leaving for a native NF.
    @inline(__always)
    func leaving(_ burst: borrowing PacketBurst, now: UInt64) {
        guard vport.spec.kind == .native else { return }
        ce2_stamp_burst(burst.packets, UInt32(burst.count), stampOffset, now)
    }

    /// Reads the stamps of packets the NF returned.
    @inline(__always)
    func returned(_ burst: borrowing PacketBurst, now: UInt64) {
        guard vport.spec.kind == .native else { return }
        let oldest = ce2_oldest_stamp(burst.packets, UInt32(burst.count), stampOffset)
        if oldest != 0 && now > oldest { maxDelayTicks = max(maxDelayTicks, now - oldest) }
    }

    @inline(__always)
    func dropped(_ count: Int) {
        dropsSinceSample &+= UInt64(count)
        totalDrops &+= UInt64(count)
    }

    /// Samples the vport when its interval has passed; returns an event to raise, if any.
    func sample(now: UInt64, emit: (DataplaneEvent) -> Void) {
        guard now >= nextSample else { return }
        let interval = ticksPerSecond * UInt64(settings.intervalMillis) / 1000
        nextSample = now &+ interval
        let occupancy = vport.toNFOccupancy.map { Double($0.count) / Double(max($0.capacity, 1)) } ?? 0
        let delayMicros = Double(maxDelayTicks) * 1e6 / Double(ticksPerSecond)
        let drops = dropsSinceSample
        lastOccupancy = occupancy
        lastDelayMicros = delayMicros
        maxDelayTicks = 0
        dropsSinceSample = 0

        let hot = occupancy >= settings.occupancyThreshold || drops > 0
        if hot {
            overloadedSamples += 1
            calmSamples = 0
        } else {
            calmSamples += 1
            overloadedSamples = 0
        }
        if !overloaded && overloadedSamples >= settings.samples {
            overloaded = true
            emit(DataplaneEvent(kind: .overload, vport: vport.spec.name, occupancy: occupancy, drops: drops, delayMicros: delayMicros))
        } else if overloaded && calmSamples >= settings.samples {
            overloaded = false
            emit(DataplaneEvent(kind: .overloadCleared, vport: vport.spec.name, occupancy: occupancy, drops: drops, delayMicros: delayMicros))
        }

        // Stalled: packets wait and the NF's read position has not moved for the stall time.
        guard let tail = vport.toNFConsumerTail, let waiting = vport.toNFOccupancy?.count else { return }
        if waiting == 0 || tail != lastTail {
            unreadSince = now
            if stalled {
                stalled = false
                emit(DataplaneEvent(kind: .vportRecovered, vport: vport.spec.name, occupancy: occupancy))
            }
        } else if !stalled && now - unreadSince >= ticksPerSecond * UInt64(settings.stallMillis) / 1000 {
            stalled = true
            emit(DataplaneEvent(kind: .vportStalled, vport: vport.spec.name, occupancy: occupancy, pid: vport.attachedPid))
        }
        lastTail = tail
    }
}
