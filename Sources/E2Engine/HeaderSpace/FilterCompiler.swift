/// Compiles a filter to the header space it selects, following libpcap's semantics.
///
/// Names are resolved here: `Address` names, port groups (`ingress int`) and derived
/// attributes (`FW.safe`, which the NF description must declare).
public struct FilterCompiler: Sendable {
    public var addresses: [String: AddressPrefix]
    public var portGroups: Set<String>
    public var catalog: NFCatalog
    public let universe: Universe

    public init(addresses: [String: AddressPrefix], portGroups: Set<String>, catalog: NFCatalog) {
        self.addresses = addresses
        self.portGroups = portGroups
        self.catalog = catalog
        var symbols: [HeaderDimension: Set<String>] = [.ingress: portGroups]
        for nf in catalog.nfs {
            for (name, method) in nf.attributes {
                if case .port(let values) = method { symbols[.attribute("\(nf.name).\(name)")] = Set(values.keys) }
            }
        }
        universe = Universe(symbols: symbols)
    }

    static let vlanTypes: [UInt128] = [0x8100, 0x88a8, 0x9100]

    public func compile(_ filter: FilterExpression) throws(PolicyDiagnostic) -> HeaderSpace {
        // libpcap reads every term after `vlan` 4 bytes further on. E2 models that exactly when
        // `vlan` is a top-level conjunct and all later terms are conjoined with it.
        let conjuncts = Self.conjuncts(of: filter)
        var result = HeaderSpace.everything(in: universe)
        var shifted = false
        for term in conjuncts {
            if case .primitive(.vlan(let id), let location) = term {
                guard !shifted else {
                    throw PolicyDiagnostic(.unsupportedFilter, at: location, "a second 'vlan' (stacked tags) is not supported")
                }
                result = result.intersection(vlan(id))
                shifted = true
            } else {
                result = result.intersection(try compile(term, shifted: shifted))
            }
        }
        return result
    }

    /// The terms of a top-level `and` chain, left to right.
    static func conjuncts(of filter: FilterExpression) -> [FilterExpression] {
        if case .and(let left, let right) = filter { return conjuncts(of: left) + conjuncts(of: right) }
        return [filter]
    }

    private func compile(_ filter: FilterExpression, shifted: Bool) throws(PolicyDiagnostic) -> HeaderSpace {
        switch filter {
        case .and(let left, let right): return try compile(left, shifted: shifted).intersection(compile(right, shifted: shifted))
        case .or(let left, let right): return try compile(left, shifted: shifted).union(compile(right, shifted: shifted))
        case .not(let inner, _): return try compile(inner, shifted: shifted).complement
        case .primitive(let primitive, let location): return try compile(primitive, at: location, shifted: shifted)
        }
    }

    // MARK: Building blocks

    private func space(_ dimension: HeaderDimension, _ lower: UInt128, _ upper: UInt128) -> HeaderSpace {
        .constraint(dimension, .numbers(IntervalSet(lower, upper)), in: universe)
    }

    private func space(_ dimension: HeaderDimension, equals value: UInt128) -> HeaderSpace { space(dimension, value, value) }

    private func etherType(_ value: UInt128, shifted: Bool) -> HeaderSpace {
        space(shifted ? .innerEtherType : .etherType, equals: value)
    }

    private func vlan(_ id: Int?) -> HeaderSpace {
        var tagged = HeaderSpace.nothing(in: universe)
        for type in Self.vlanTypes { tagged = tagged.union(space(.etherType, equals: type)) }
        if let id { tagged = tagged.intersection(space(.vlanID, equals: UInt128(id))) }
        return tagged
    }

    private func ipv4(_ shifted: Bool) -> HeaderSpace { etherType(0x0800, shifted: shifted) }
    private func ipv6(_ shifted: Bool) -> HeaderSpace { etherType(0x86dd, shifted: shifted) }

    /// IPv4 with this protocol, as libpcap tests `ip proto N`.
    private func ipv4Protocol(_ number: UInt128, _ shifted: Bool) -> HeaderSpace {
        ipv4(shifted).intersection(space(.ipProtocol, equals: number))
    }

    /// IPv6 with this next header, directly or after a fragment header, as libpcap's `ip6 proto N`.
    private func ipv6Protocol(_ number: UInt128, _ shifted: Bool) -> HeaderSpace {
        let direct = space(.ipProtocol, equals: number)
        let fragmented = space(.ipProtocol, equals: 44).intersection(space(.ipv6FragmentNext, equals: number))
        return ipv6(shifted).intersection(direct.union(fragmented))
    }

    /// IPv4 with this protocol and no fragment offset: where libpcap reads transport headers.
    private func ipv4Transport(_ number: UInt128, _ shifted: Bool) -> HeaderSpace {
        ipv4Protocol(number, shifted).intersection(space(.ipv4LaterFragment, equals: 0))
    }

    private static let protocolNumbers: [String: UInt128] = ["tcp": 6, "udp": 17, "sctp": 132, "icmp": 1, "icmp6": 58]

    // MARK: Primitives

    private func compile(_ primitive: FilterPrimitive, at location: SourceLocation, shifted: Bool) throws(PolicyDiagnostic) -> HeaderSpace {
        switch primitive {
        case .constant(let value):
            return value ? .everything(in: universe) : .nothing(in: universe)
        case .proto(let name):
            switch name {
            case "ip": return ipv4(shifted)
            case "ip6": return ipv6(shifted)
            case "arp": return etherType(0x0806, shifted: shifted)
            case "rarp": return etherType(0x8035, shifted: shifted)
            case "icmp": return ipv4Protocol(1, shifted)
            case "icmp6": return ipv6Protocol(58, shifted)
            default:
                let number = Self.protocolNumbers[name]!
                return ipv4Protocol(number, shifted).union(ipv6Protocol(number, shifted))
            }
        case .ipProtocol(let family, let number):
            let value = UInt128(number)
            switch family {
            case "ip": return ipv4Protocol(value, shifted)
            case "ip6": return ipv6Protocol(value, shifted)
            default: return ipv4Protocol(value, shifted).union(ipv6Protocol(value, shifted))
            }
        case .etherProtocol(let number):
            return etherType(UInt128(number), shifted: shifted)
        case .vlan:
            throw PolicyDiagnostic(.unsupportedFilter, at: location,
                                   "'vlan' must be a top-level 'and' term: libpcap shifts every later term, which E2 models only there")
        case .address(let direction, let proto, let operand):
            return try address(direction, proto: proto, operand, at: location, shifted: shifted)
        case .port(let direction, let proto, let lower, let upper):
            return port(direction, proto: proto, UInt128(lower), UInt128(upper), shifted: shifted)
        case .comparison(let operand, let mask, let relation, let value):
            return try comparison(operand, mask: mask, relation: relation, value: value, at: location, shifted: shifted)
        case .attribute(let type, let name, let relation, let value):
            return try attribute(type: type, name: name, relation: relation, value: value, at: location)
        case .ingress(let group):
            guard portGroups.contains(group) else {
                throw PolicyDiagnostic(.undefinedName, at: location, "'\(group)' is not a declared port group (ingress takes a Port<...> name)")
            }
            return .constraint(.ingress, .symbols(SymbolSet([group])), in: universe)
        }
    }

    private func address(_ direction: FilterDirection, proto: String?, _ operand: AddressOperand,
                         at location: SourceLocation, shifted: Bool) throws(PolicyDiagnostic) -> HeaderSpace {
        var proto = proto
        if proto == FilterPrimitive.anyIPFamily {
            let family: AddressPrefix.Family? = switch operand {
            case .prefix(let literal): literal.family
            case .name(let name): addresses[name]?.family
            }
            proto = family == .ipv6 ? "ip6" : "ip"
        }
        let prefix: AddressPrefix
        switch operand {
        case .prefix(let literal): prefix = literal
        case .name(let name):
            guard let declared = addresses[name] else {
                let hint = portGroups.contains(name) ? " ('\(name)' is a port group: write 'ingress \(name)')" : ""
                throw PolicyDiagnostic(.undefinedName, at: location, "'\(name)' is not a declared Address\(hint)")
            }
            prefix = declared
            if prefix.family == .ipv6, let proto, proto != "ip6" {
                throw PolicyDiagnostic(.badFilter, at: location, "'\(name)' is an IPv6 prefix and cannot follow '\(proto)'")
            }
            if prefix.family == .ipv4, proto == "ip6" {
                throw PolicyDiagnostic(.badFilter, at: location, "'\(name)' is an IPv4 prefix and cannot follow 'ip6'")
            }
        }
        let (lower, upper) = prefix.range
        func directed(_ source: HeaderDimension, _ destination: HeaderDimension) -> HeaderSpace {
            let src = space(source, lower, upper), dst = space(destination, lower, upper)
            switch direction {
            case .source: return src
            case .destination: return dst
            case .either: return src.union(dst)
            case .both: return src.intersection(dst)
            }
        }
        if prefix.family == .ipv6 {
            return ipv6(shifted).intersection(directed(.ipv6Source, .ipv6Destination))
        }
        let ip = ipv4(shifted).intersection(directed(.ipv4Source, .ipv4Destination))
        let arpFields = directed(.arpSender, .arpTarget)
        switch proto {
        case "ip": return ip
        case "arp": return etherType(0x0806, shifted: shifted).intersection(arpFields)
        case "rarp": return etherType(0x8035, shifted: shifted).intersection(arpFields)
        default:
            let arps = etherType(0x0806, shifted: shifted).union(etherType(0x8035, shifted: shifted))
            return ip.union(arps.intersection(arpFields))
        }
    }

    private func port(_ direction: FilterDirection, proto: String?, _ lower: UInt128, _ upper: UInt128, shifted: Bool) -> HeaderSpace {
        let ports: HeaderSpace
        let src = space(.sourcePort, lower, upper), dst = space(.destinationPort, lower, upper)
        switch direction {
        case .source: ports = src
        case .destination: ports = dst
        case .either: ports = src.union(dst)
        case .both: ports = src.intersection(dst)
        }
        var carriers = HeaderSpace.nothing(in: universe)
        for name in proto.map({ [$0] }) ?? ["tcp", "udp", "sctp"] {
            let number = Self.protocolNumbers[name]!
            // libpcap reads IPv6 ports only right after the fixed header (no fragment header).
            carriers = carriers.union(ipv4Transport(number, shifted)).union(ipv6(shifted).intersection(space(.ipProtocol, equals: number)))
        }
        return carriers.intersection(ports)
    }

    private func comparison(_ operand: ByteOperand, mask: UInt128?, relation: String, value: UInt128,
                            at location: SourceLocation, shifted: Bool) throws(PolicyDiagnostic) -> HeaderSpace {
        let dimension: HeaderDimension
        let guardSpace: HeaderSpace
        switch operand {
        case .length:
            dimension = .length
            guardSpace = .everything(in: universe)
        case .bytes(let base, let offset, let size):
            switch (base, offset, size) {
            case ("ip", 9, 1): dimension = .ipProtocol
            case ("ip", 12, 4): dimension = .ipv4Source
            case ("ip", 16, 4): dimension = .ipv4Destination
            case ("ip6", 6, 1): dimension = .ipProtocol
            case ("tcp", 0, 2), ("udp", 0, 2), ("sctp", 0, 2): dimension = .sourcePort
            case ("tcp", 2, 2), ("udp", 2, 2), ("sctp", 2, 2): dimension = .destinationPort
            default:
                if base == "ether" && shifted {
                    throw PolicyDiagnostic(.unsupportedFilter, at: location, "'ether[...]' after 'vlan' is not supported")
                }
                dimension = .bytes(base: base, offset: offset, size: size)
            }
            switch base {
            case "ether": guardSpace = .everything(in: universe)
            case "ip": guardSpace = ipv4(shifted)
            case "ip6": guardSpace = ipv6(shifted)
            case "arp": guardSpace = etherType(0x0806, shifted: shifted)
            case "rarp": guardSpace = etherType(0x8035, shifted: shifted)
            case "icmp6":
                throw PolicyDiagnostic(.unsupportedFilter, at: location, "'icmp6[...]' byte tests are not supported; test ip6[40 + offset]")
            default: guardSpace = ipv4Transport(Self.protocolNumbers[base]!, shifted)
            }
        }
        let maximum = dimension.maximum!
        let width = maximum == .max ? 128 : 128 - maximum.leadingZeroBitCount
        var values: IntervalSet
        if let mask {
            guard relation == "==" || relation == "!=" else {
                throw PolicyDiagnostic(.unsupportedFilter, at: location, "a masked byte test supports only == and !=")
            }
            guard let matching = IntervalSet.masked(mask: mask, value: value, width: width) else {
                throw PolicyDiagnostic(.unsupportedFilter, at: location, "this mask leaves too many free bits to analyse exactly; mask fewer low bits")
            }
            values = matching
            if relation == "!=" { values = values.complement(maximum: maximum) }
        } else {
            switch relation {
            case "==": values = IntervalSet(value, value)
            case "!=": values = IntervalSet(value, value).complement(maximum: maximum)
            case "<": values = value == 0 ? IntervalSet() : IntervalSet(0, value - 1)
            case "<=": values = IntervalSet(0, value)
            case ">": values = value >= maximum ? IntervalSet() : IntervalSet(value + 1, maximum)
            default: values = IntervalSet(value, maximum)
            }
        }
        return guardSpace.intersection(.constraint(dimension, .numbers(values.intersection(IntervalSet(0, maximum))), in: universe))
    }

    private func attribute(type: String, name: String, relation: String, value: String,
                           at location: SourceLocation) throws(PolicyDiagnostic) -> HeaderSpace {
        guard let nf = catalog[type] else {
            throw PolicyDiagnostic(.unknownNFType, at: location, "'\(type)' is not an NF type of the NF descriptions, so '\(type).\(name)' means nothing")
        }
        guard let method = nf.attributes[name] else {
            let known = nf.attributes.keys.sorted()
            let list = known.isEmpty ? "it declares no derived attributes" : "it declares \(known.joined(separator: ", "))"
            throw PolicyDiagnostic(.unknownAttribute, at: location, "NF type \(type) has no attribute '\(name)' (\(list))")
        }
        if case .port(let values) = method, values[value] == nil {
            throw PolicyDiagnostic(.unknownAttribute, at: location,
                                   "\(type).\(name) takes the values \(values.keys.sorted().joined(separator: ", ")), not '\(value)'")
        }
        let set = SymbolSet([value], isComplement: relation == "!=")
        return .constraint(.attribute("\(type).\(name)"), .symbols(set), in: universe)
    }
}
