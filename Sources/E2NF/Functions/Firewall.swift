import CE2DPDK
import E2Dataplane

/// A stateful firewall with the `safe` attribute reported by output port (outputs `safe`,
/// `unsafe`): a flow is safe when its first packet goes to an allowed destination port; every
/// later packet of the flow, in either direction, gets the same verdict. Packets that are not
/// TCP or UDP over IPv4 are unsafe.
public struct Firewall: PacketFunction {
    let allowed: Set<UInt16>
    /// Canonical 5-tuple (lower endpoint first) to the verdict (word 0: 1 safe, 2 unsafe).
    let flows: FlowTable
    public private(set) var safe: UInt64 = 0
    public private(set) var unsafe: UInt64 = 0

    public init(allowedPorts: Set<UInt16>, capacity: Int = 65_536) {
        allowed = allowedPorts
        flows = FlowTable(capacity: capacity)
    }

    public mutating func handle(_ packet: OpaquePointer, tags: MetadataTags, now: UInt64) -> Int? {
        guard let key = FlowKey(packet: packet), key.transportProtocol == 6 || key.transportProtocol == 17 else {
            unsafe &+= 1
            return 1
        }
        var canonical = key
        if (key.destinationAddress, key.destinationPort) < (key.sourceAddress, key.sourcePort) {
            canonical.sourceAddress = key.destinationAddress; canonical.sourcePort = key.destinationPort
            canonical.destinationAddress = key.sourceAddress; canonical.destinationPort = key.sourcePort
        }
        let verdict: UInt64
        if let known = flows[canonical] {
            verdict = known.words.0
        } else {
            verdict = allowed.contains(key.destinationPort) ? 1 : 2
            _ = flows.set(canonical, .init(verdict))  // full table: judged again next time
        }
        if verdict == 1 { safe &+= 1 } else { unsafe &+= 1 }
        return verdict == 1 ? 0 : 1
    }

    public func figures() -> [String: Double] { ["flows": Double(flows.count), "safe": Double(safe), "unsafe": Double(unsafe)] }
}
