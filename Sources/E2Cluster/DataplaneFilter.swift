import E2Engine

/// A pGraph filter as E2D runs it: a libpcap header filter and tests of metadata tags.
///
/// The policy language mixes header terms with NF attributes (`FW.safe`, `IDS.safe`) and
/// `ingress GROUP`. E2D evaluates the top-level conjuncts separately: attributes reported by
/// output vport (`FW.safe`) are already decided by the vport a packet left on; attributes
/// reported as metadata (`IDS.safe`) and the ingress group are tag tests; everything else is
/// one libpcap filter, with address names replaced by their prefixes.
public struct DataplaneFilter: Sendable, Equatable {
    public struct TagTest: Sendable, Equatable {
        public var slot: Int
        public var value: Int
        /// `false` for a negated test (`!IDS.safe`).
        public var equal: Bool

        public init(slot: Int, value: Int, equal: Bool) {
            self.slot = slot
            self.value = value
            self.equal = equal
        }
    }

    /// The header part for libpcap; nil when every packet passes it.
    public var pcap: String?
    public var tags: [TagTest]

    public init(pcap: String?, tags: [TagTest]) {
        self.pcap = pcap
        self.tags = tags
    }

    public static let everything = DataplaneFilter(pcap: nil, tags: [])
}

/// Where attributes and the ingress group live among the eight tag slots, and how values
/// are numbered (0 means unset, so a value is never 0).
public struct TagAssignments: Sendable, Equatable, Codable {
    /// The slot the switch writes the ingress port group into.
    public var ingressSlot = 0
    /// Port group name to its tag value.
    public var ingressGroups: [String: Int] = [:]
    /// `Type.attribute` (metadata method) to its slot.
    public var attributes: [String: Int] = [:]

    public init() {}

    /// The assignments for a policy: slot 0 for the ingress group, then one slot per
    /// metadata attribute of the catalog (at most seven).
    public init(portGroups: [String], catalog: NFCatalog) throws(WiringError) {
        for (index, group) in portGroups.sorted().enumerated() { ingressGroups[group] = index + 1 }
        var next = 1
        for nf in catalog.nfs.sorted(by: { $0.name < $1.name }) {
            for (name, attribute) in nf.attributes.sorted(by: { $0.key < $1.key }) {
                guard case .metadata = attribute else { continue }
                guard next < 8 else { throw WiringError("more than seven metadata attributes; E2D has eight tag slots and the ingress group takes one") }
                attributes["\(nf.name).\(name)"] = next
                next += 1
            }
        }
    }

    /// A value's tag: `true` is 1, `false` is 2, anything else is 3 plus a stable hash mod 250.
    public static func value(_ text: String) -> Int {
        switch text {
        case "true": 1
        case "false": 2
        default: 3 + Int(text.utf8.reduce(UInt32(2166136261)) { ($0 ^ UInt32($1)) &* 16777619 } % 250)
        }
    }
}

public struct WiringError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension DataplaneFilter {
    /// Translates a filter as the pGraph writes it.
    public static func translate(_ text: String?, addresses: [String: AddressPrefix], catalog: NFCatalog,
                                 tags: TagAssignments) throws(WiringError) -> DataplaneFilter {
        guard let text, !text.isEmpty else { return .everything }
        let expression: FilterExpression
        do { expression = try PolicyParser.parseFilter(text) } catch { throw WiringError("filter '\(text)': \(error)") }
        var header: [String] = []
        var tests: [TagTest] = []
        for conjunct in conjuncts(of: expression) {
            var negated = false
            var primitive: FilterPrimitive?
            switch conjunct {
            case .primitive(let value, _): primitive = value
            case .not(.primitive(let value, _), _): primitive = value; negated = true
            default: break
            }
            switch primitive {
            case .attribute(let type, let name, let relation, let value)?:
                guard let nf = catalog[type], let attribute = nf.attributes[name] else { throw WiringError("filter '\(text)': \(type).\(name) is not an attribute of the NF descriptions") }
                let equal = (relation == "==") != negated
                switch attribute {
                case .port:
                    continue  // decided by the output vport the packet left on
                case .metadata:
                    guard let slot = tags.attributes["\(type).\(name)"] else { throw WiringError("filter '\(text)': no tag slot for \(type).\(name)") }
                    tests.append(TagTest(slot: slot, value: TagAssignments.value(value), equal: equal))
                }
            case .ingress(let group)?:
                guard let value = tags.ingressGroups[group] else { throw WiringError("filter '\(text)': no port group \(group)") }
                tests.append(TagTest(slot: tags.ingressSlot, value: value, equal: !negated))
            default:
                if containsTagTerms(conjunct) {
                    throw WiringError("filter '\(text)': attributes and ingress are supported as top-level terms joined by && only")
                }
                header.append(try pcapText(conjunct, addresses: addresses, filter: text))
            }
        }
        return DataplaneFilter(pcap: header.isEmpty ? nil : header.map { "(\($0))" }.joined(separator: " and "), tags: tests)
    }

    static func conjuncts(of filter: FilterExpression) -> [FilterExpression] {
        if case .and(let left, let right) = filter { return conjuncts(of: left) + conjuncts(of: right) }
        return [filter]
    }

    static func containsTagTerms(_ filter: FilterExpression) -> Bool {
        switch filter {
        case .and(let left, let right), .or(let left, let right): containsTagTerms(left) || containsTagTerms(right)
        case .not(let inner, _): containsTagTerms(inner)
        case .primitive(.attribute, _), .primitive(.ingress, _): true
        case .primitive: false
        }
    }

    /// libpcap text for a header expression.
    static func pcapText(_ filter: FilterExpression, addresses: [String: AddressPrefix], filter text: String) throws(WiringError) -> String {
        switch filter {
        case .and(let left, let right):
            return "(\(try pcapText(left, addresses: addresses, filter: text))) and (\(try pcapText(right, addresses: addresses, filter: text)))"
        case .or(let left, let right):
            return "(\(try pcapText(left, addresses: addresses, filter: text))) or (\(try pcapText(right, addresses: addresses, filter: text)))"
        case .not(let inner, _):
            return "not (\(try pcapText(inner, addresses: addresses, filter: text)))"
        case .primitive(let primitive, _):
            return try pcapText(primitive, addresses: addresses, filter: text)
        }
    }

    static func pcapText(_ primitive: FilterPrimitive, addresses: [String: AddressPrefix], filter text: String) throws(WiringError) -> String {
        func direction(_ value: FilterDirection) -> String { value.rawValue + " " }
        switch primitive {
        case .address(let where_, let proto, let operand):
            let prefix: AddressPrefix
            switch operand {
            case .prefix(let value): prefix = value
            case .name(let name):
                guard let value = addresses[name] else { throw WiringError("filter '\(text)': no address named \(name)") }
                prefix = value
            }
            let family = proto == nil || proto == FilterPrimitive.anyIPFamily ? "" : proto! + " "
            let kind = prefix.length == prefix.width ? "host " : "net "
            let address = prefix.length == prefix.width ? String(prefix.description.split(separator: "/")[0]) : prefix.description
            return family + direction(where_) + kind + address
        case .port(let where_, let proto, let lower, let upper):
            let family = proto.map { $0 + " " } ?? ""
            return family + direction(where_) + (lower == upper ? "port \(lower)" : "portrange \(lower)-\(upper)")
        case .proto(let name):
            return name
        case .ipProtocol(let family, let number):
            return (family.map { $0 + " " } ?? "") + "proto \(number)"
        case .etherProtocol(let number):
            return "ether proto \(number)"
        case .vlan(let id):
            return id.map { "vlan \($0)" } ?? "vlan"
        case .comparison(let operand, let mask, let relation, let value):
            let left: String
            switch operand {
            case .bytes(let base, let offset, let size): left = "\(base)[\(offset):\(size)]"
            case .length: left = "len"
            }
            return left + (mask.map { " & \($0)" } ?? "") + " \(relation) \(value)"
        case .constant(let value):
            return value ? "len >= 0" : "len < 0"
        case .attribute, .ingress:
            throw WiringError("filter '\(text)': attributes and ingress are supported as top-level terms joined by && only")
        }
    }
}
