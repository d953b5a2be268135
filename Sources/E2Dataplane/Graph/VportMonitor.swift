import CE2DPDK

/// The load monitor of one vport (§5.2): queue occupancy, delay through the NF and drops,
/// sampled at a fixed interval; raises overload and stall events with hysteresis.
///
/// Packets leaving for a native NF carry a time stamp (an mbuf dynamic field) marked with the
/// vport's index; the NF hands the same mbuf back, on whichever of its output vports, and the
/// delay is booked to the vport the packet went in by, without the NF's help.
public final class VportMonitor {
    public let vport: Vport
    let stampOffset: Int32
    let settings: MonitorSettings
    let ticksPerSecond: UInt64

    // Since the last sample.
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

    /// The largest delay of the last sample and of what came back since, in microseconds.
    public var delayMicros: Double { max(lastDelayMicros, Double(delays[Int(index)]) * 1e6 / Double(ticksPerSecond)) }

    /// This vport's index in the stamps (1-255) and the largest delays by index, shared by
    /// every monitor of the E2D (owned by the controller).
    let index: UInt64
    let delays: UnsafeMutablePointer<UInt64>

    public init(vport: Vport, stampOffset: Int32, settings: MonitorSettings, ticksPerSecond: UInt64, index: Int, delays: UnsafeMutablePointer<UInt64>) {
        self.vport = vport
        self.stampOffset = stampOffset
        self.index = UInt64(index & 0xff)
        self.delays = delays
        self.settings = settings
        self.ticksPerSecond = ticksPerSecond
    }

    /// Stamps packets leaving for a native NF.
    @inline(__always)
    func leaving(_ burst: borrowing PacketBurst, now: UInt64) {
        guard vport.spec.kind == .native else { return }
        ce2_stamp_burst(burst.packets, UInt32(burst.count), stampOffset, now & ~0xff | index)
    }

    /// Books the delays of packets an NF returned, to the vports they went in by.
    @inline(__always)
    func returned(_ burst: borrowing PacketBurst, now: UInt64) {
        guard vport.spec.kind == .native else { return }
        ce2_record_delays(burst.packets, UInt32(burst.count), stampOffset, now, delays)
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
        let delayMicros = Double(delays[Int(index)]) * 1e6 / Double(ticksPerSecond)
        let drops = dropsSinceSample
        lastOccupancy = occupancy
        lastDelayMicros = delayMicros
        delays[Int(index)] = 0
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
