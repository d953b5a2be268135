/// libpcap filters in order, first match wins, each rule naming its gate: the classifier that
/// splits traffic by the policy's edge filters.
public final class ClassifierModule: PacketModule {
    public let gateCount: Int
    public let defaultGate: UInt16
    /// The rules, compiled; replaced as a whole by the control path (filters are shared).
    public let filters: [BPFFilter]
    let ruleGates: [UInt16]

    public init(gates: Int, rules: [(filter: BPFFilter, gate: Int)], defaultGate: Int) {
        gateCount = gates
        self.defaultGate = UInt16(defaultGate)
        filters = rules.map(\.filter)
        ruleGates = rules.map { UInt16($0.gate) }
    }

    @inline(__always)
    public func process(_ burst: inout PacketBurst, gates: UnsafeMutablePointer<UInt16>, context: ModuleContext) -> ModuleVerdict {
        if filters.isEmpty { return .allTo(defaultGate) }
        var uniform = true
        for index in 0..<burst.count {
            let packet = burst[index]
            var gate = defaultGate
            for rule in 0..<filters.count where filters[rule].matches(packet) {
                gate = ruleGates[rule]
                break
            }
            gates[index] = gate
            uniform = uniform && gate == gates[0]
        }
        // A burst that goes one way needs no gathering per gate.
        return uniform && burst.count > 0 ? .allTo(gates[0]) : .perPacket
    }

    public func figures() -> [String: Double] { ["rules": Double(filters.count)] }
}
