import CE2DPDK

/// What a module did with a burst, so the graph knows where its packets go next.
public enum ModuleVerdict: Sendable, Equatable {
    /// Every packet leaves by this gate (pass-through modules: no per-packet split).
    case allTo(UInt16)
    /// Each packet's gate was written into the `gates` array.
    case perPacket
    /// The module took every packet (sent, freed); the burst is empty.
    case consumed
    /// Every packet to every gate (the graph makes the copies).
    case everyGate
}

/// What every module may use while it handles a burst, set once per loop round.
public struct ModuleContext {
    public var tags: MetadataTags
    /// The time stamp counter at the start of this round, and its frequency.
    public var now: UInt64
    public var ticksPerSecond: UInt64
    /// Where copies come from (Tee).
    public var pool: OpaquePointer
}

/// A module of E2D's graph (§4): it handles a burst at a time and says where each packet goes.
///
/// Modules are classes owned by the dataplane thread once the graph runs; the control socket
/// changes them only through that thread, between bursts, so the packet path takes no lock.
public protocol PacketModule: AnyObject {
    /// The number of output gates.
    var gateCount: Int { get }
    /// Handles `burst`; for `.perPacket`, writes one gate per packet into `gates`.
    func process(_ burst: inout PacketBurst, gates: UnsafeMutablePointer<UInt16>, context: ModuleContext) -> ModuleVerdict
    /// Module-specific figures for the statistics (control path; may allocate).
    func figures() -> [String: Double]
}

extension PacketModule {
    public func figures() -> [String: Double] { [:] }
}
