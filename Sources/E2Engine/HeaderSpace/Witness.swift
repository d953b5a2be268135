/// A concrete packet from a header space, named as the filter syntax names its fields.
///
/// Every field the packet's protocols give meaning to gets a value (chosen from the allowed
/// set, preferring ordinary ones), so the witness is a whole packet a test can build.
extension HeaderSpace {
    public func witness() -> [String: String]? {
        // Prefer a plain IPv4 packet when the space has one: it reads most easily.
        let ipv4 = cubes.first { cube in
            guard case .numbers(let types) = cube.constraints[.etherType] ?? universe.full(.etherType) else { return false }
            return types.contains(0x0800)
        }
        guard let cube = ipv4 ?? cubes.first else { return nil }
        return Self.witness(of: cube, in: universe)
    }

    static let preferences: [HeaderDimension: [UInt128]] = [
        .etherType: [0x0800, 0x86dd, 0x0806, 0x8035, 0x8100, 0x88cc],
        .innerEtherType: [0x0800, 0x86dd, 0x0806],
        .ipProtocol: [6, 17, 1, 58, 132, 47],
        .ipv6FragmentNext: [6, 17],
        .ipv4Source: [0x0a00_0001], .ipv4Destination: [0x0a00_0002],
        .arpSender: [0x0a00_0001], .arpTarget: [0x0a00_0002],
        .ipv6Source: [0x2001_0db8 << 96 | 1], .ipv6Destination: [0x2001_0db8 << 96 | 2],
        .sourcePort: [40000, 1024], .destinationPort: [80, 443, 53],
        .length: [64, 128, 1500],
        .vlanID: [10, 1],
    ]

    static func witness(of cube: Cube, in universe: Universe) -> [String: String] {
        func number(_ dimension: HeaderDimension) -> UInt128 {
            guard case .numbers(let set) = cube.constraints[dimension] ?? universe.full(dimension) else { return 0 }
            return preferences[dimension]?.first { set.contains($0) } ?? set.minimum ?? 0
        }
        var witness: [String: String] = [:]
        for (dimension, set) in cube.constraints {
            if case .symbols(let names) = set {
                witness[dimension.witnessName] = names.anyMember(in: universe.symbols[dimension], preferring: ["true", "false"])
            }
        }
        if let groups = universe.symbols[.ingress], witness["ingress"] == nil, let group = groups.sorted().first {
            witness["ingress"] = group
        }

        var etherType = number(.etherType)
        if FilterCompiler.vlanTypes.contains(etherType) {
            witness["vlan"] = String(number(.vlanID))
            etherType = number(.innerEtherType)
        }
        witness["ether proto"] = etherTypeNames[etherType] ?? hex(etherType, digits: 4)
        if cube.constraints[.length] != nil { witness["len"] = String(number(.length)) }
        for (dimension, _) in cube.constraints {
            if case .bytes(_, _, let size) = dimension { witness[dimension.witnessName] = hex(number(dimension), digits: size * 2) }
        }
        switch etherType {
        case 0x0800:
            witness["src ip"] = IPv4Address.format(UInt32(number(.ipv4Source)))
            witness["dst ip"] = IPv4Address.format(UInt32(number(.ipv4Destination)))
            let proto = number(.ipProtocol)
            witness["proto"] = protocolNames[proto] ?? String(proto)
            let laterFragment = number(.ipv4LaterFragment) == 1
            if laterFragment { witness["ip fragment offset"] = "nonzero" }
            if [6, 17, 132].contains(proto) && !laterFragment { addPorts() }
        case 0x86dd:
            witness["src ip"] = IPv6Address.format(number(.ipv6Source))
            witness["dst ip"] = IPv6Address.format(number(.ipv6Destination))
            let proto = number(.ipProtocol)
            witness["proto"] = protocolNames[proto] ?? String(proto)
            if proto == 44 {
                let next = number(.ipv6FragmentNext)
                witness["ip6 fragment proto"] = protocolNames[next] ?? String(next)
            } else if [6, 17, 132].contains(proto) {
                addPorts()
            }
        case 0x0806, 0x8035:
            witness["arp src"] = IPv4Address.format(UInt32(number(.arpSender)))
            witness["arp dst"] = IPv4Address.format(UInt32(number(.arpTarget)))
        default:
            break
        }
        func addPorts() {
            witness["src port"] = String(number(.sourcePort))
            witness["dst port"] = String(number(.destinationPort))
        }
        return witness
    }

    static let etherTypeNames: [UInt128: String] = [0x0800: "ip", 0x86dd: "ip6", 0x0806: "arp", 0x8035: "rarp"]
    static let protocolNames: [UInt128: String] = [1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6", 132: "sctp", 44: "ip6-fragment"]

    static func hex(_ value: UInt128, digits: Int) -> String {
        let text = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
