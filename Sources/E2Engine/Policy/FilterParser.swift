/// The filter half of the parser: libpcap's syntax plus E2's additions.
///
/// As in libpcap, `not` binds tightest and `and`/`or` have equal precedence, associating to
/// the left (`a or b and c` is `(a or b) and c`); a bare value after `and`/`or` repeats the
/// qualifiers before it (`host 10.0.0.1 or 10.0.0.2`).
extension PolicyParser {
    /// The qualifiers of the last primitive, which a bare value inherits.
    struct Qualifiers: Equatable {
        var proto: String?
        var direction: FilterDirection = .either
        var type: String?
    }

    static let protocolKeywords: Set<String> = ["ether", "ip", "ip6", "arp", "rarp", "tcp", "udp", "sctp", "icmp", "icmp6"]
    static let byteBases: Set<String> = ["ether", "ip", "ip6", "arp", "rarp", "tcp", "udp", "sctp", "icmp", "icmp6"]
    static let relations: Set<String> = ["==", "=", "!=", "<", "<=", ">", ">="]

    /// Named constants of pcap-filter(7) for byte tests.
    static let namedConstants: [String: UInt128] = [
        "tcpflags": 13, "icmptype": 0, "icmpcode": 1, "icmp6type": 0, "icmp6code": 1,
        "tcp-fin": 0x01, "tcp-syn": 0x02, "tcp-rst": 0x04, "tcp-push": 0x08, "tcp-ack": 0x10, "tcp-urg": 0x20,
        "tcp-ece": 0x40, "tcp-cwr": 0x80,
        "icmp-echoreply": 0, "icmp-unreach": 3, "icmp-sourcequench": 4, "icmp-redirect": 5, "icmp-echo": 8,
        "icmp-routeradvert": 9, "icmp-routersolicit": 10, "icmp-timxceed": 11, "icmp-paramprob": 12,
        "icmp-tstamp": 13, "icmp-tstampreply": 14, "icmp-ireq": 15, "icmp-ireqreply": 16, "icmp-maskreq": 17, "icmp-maskreply": 18,
    ]

    /// Service names libpcap resolves through /etc/services; the common ones, so results do
    /// not depend on the machine.
    static let serviceNames: [String: Int] = [
        "ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "http": 80, "www": 80,
        "pop3": 110, "ntp": 123, "imap": 143, "snmp": 161, "bgp": 179, "https": 443,
    ]

    mutating func filter() throws(PolicyDiagnostic) -> FilterExpression {
        var qualifiers = Qualifiers()
        return try expression(&qualifiers)
    }

    private mutating func expression(_ qualifiers: inout Qualifiers) throws(PolicyDiagnostic) -> FilterExpression {
        var left = try unary(&qualifiers)
        while true {
            if current.isKeyword("and") || current.isSymbol("&&") {
                _ = advance()
                left = .and(left, try unary(&qualifiers))
            } else if current.isKeyword("or") || current.isSymbol("||") {
                _ = advance()
                left = .or(left, try unary(&qualifiers))
            } else {
                return left
            }
        }
    }

    private mutating func unary(_ qualifiers: inout Qualifiers) throws(PolicyDiagnostic) -> FilterExpression {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else {
            throw PolicyDiagnostic(.syntax, at: current.location, "the filter nests 'not' and parentheses more than \(Self.maximumDepth) deep")
        }
        if current.isKeyword("not") || current.isSymbol("!") {
            let location = advance().location
            return .not(try unary(&qualifiers), location)
        }
        if current.isSymbol("(") {
            _ = advance()
            let inner = try expression(&qualifiers)
            _ = try expect(")", "to close the parenthesis")
            return inner
        }
        let location = current.location
        return .primitive(try primitive(&qualifiers), location)
    }

    private mutating func primitive(_ qualifiers: inout Qualifiers) throws(PolicyDiagnostic) -> FilterPrimitive {
        let token = current
        switch token.kind {
        case .ipv4, .ipv6, .number:
            // A bare value: the qualifiers of the previous primitive apply (pcap's abbreviation).
            return try qualified(qualifiers, into: &qualifiers)
        case .identifier(let word):
            if word == "true" || word == "false" {
                _ = advance()
                return .constant(word == "true")
            }
            if peek().isSymbol("."), case .identifier(let attribute) = peek(2).kind {
                position += 3
                return try attributeTest(type: word, name: attribute, at: token.location)
            }
            if word == "ingress" {
                _ = advance()
                return .ingress(try expectIdentifier("a port group after ingress").name)
            }
            if word == "less" || word == "greater" {
                _ = advance()
                let value = try constant()
                return .comparison(.length, mask: nil, relation: word == "less" ? "<=" : ">=", value: value)
            }
            if word == "len" {
                _ = advance()
                return try comparisonTail(.length)
            }
            if word == "vlan" {
                _ = advance()
                if case .number(let id) = current.kind {
                    let idToken = advance()
                    guard id <= 4095 else { throw PolicyDiagnostic(.badFilter, at: idToken.location, "VLAN ID \(idToken.text) is out of range (0-4095)") }
                    return .vlan(Int(id))
                }
                return .vlan(nil)
            }
            if Self.byteBases.contains(word), peek().isSymbol("[") {
                return try byteTest()
            }
            if word == "proto" {
                _ = advance()
                return .ipProtocol(family: nil, try protocolNumber())
            }
            var fresh = Qualifiers()
            return try qualified(fresh, into: &fresh, keepingInto: &qualifiers)
        default:
            throw unexpected("a filter (such as dst port 80, FW.safe or ingress ext)")
        }
    }

    /// Parses `[proto] [dir] [type] value`, or E2's `[dir] ip value`, from `start`.
    private mutating func qualified(_ start: Qualifiers, into qualifiers: inout Qualifiers) throws(PolicyDiagnostic) -> FilterPrimitive {
        var copy = qualifiers
        let result = try qualified(start, into: &copy, keepingInto: &qualifiers)
        return result
    }

    private mutating func qualified(_ start: Qualifiers, into working: inout Qualifiers, keepingInto saved: inout Qualifiers) throws(PolicyDiagnostic) -> FilterPrimitive {
        var q = start
        var sawQualifier = false
        if let word = current.identifier, Self.protocolKeywords.contains(word) {
            _ = advance()
            q.proto = word
            q.type = nil
            q.direction = .either
            sawQualifier = true
            if word == "ether" || word == "ip" || word == "ip6", current.isKeyword("proto") {
                _ = advance()
                let number = try protocolNumber(ether: word == "ether")
                return word == "ether" ? .etherProtocol(number) : .ipProtocol(family: word, number)
            }
        }
        if let direction = try directionQualifier() {
            q.direction = direction
            q.type = nil
            sawQualifier = true
            // E2's spelling "dst ip my_net" puts the protocol after the direction; there `ip`
            // means an IP address of either family, as the address decides.
            if q.proto == nil, let word = current.identifier, ["ip", "ip6", "arp", "rarp"].contains(word) {
                _ = advance()
                q.proto = word == "ip" ? FilterPrimitive.anyIPFamily : word
            }
        }
        if let word = current.identifier, ["host", "net", "port", "portrange"].contains(word) {
            _ = advance()
            q.type = word
            sawQualifier = true
        }
        let atValue = current
        let isValue: Bool = switch atValue.kind {
        case .ipv4, .ipv6, .number: true
        case .identifier(let word): !Self.protocolKeywords.contains(word) && !["and", "or", "not"].contains(word)
        default: false
        }
        guard isValue else {
            // A protocol keyword on its own: `tcp`, `ip6`.
            if let proto = q.proto, q.type == nil, q.direction == .either, sawQualifier {
                if proto == "ether" { throw unexpected("'proto', 'host' or a byte test after ether") }
                saved = q
                return .proto(proto)
            }
            throw unexpected("an address, a port or a name after the qualifiers")
        }
        saved = q
        working = q
        switch q.type {
        case "port", "portrange":
            let (lower, upper) = try portValue(range: q.type == "portrange")
            if let proto = q.proto, !["tcp", "udp", "sctp"].contains(proto) {
                throw PolicyDiagnostic(.badFilter, at: atValue.location, "'\(proto) port' is not a filter; ports belong to tcp, udp or sctp")
            }
            return .port(q.direction, protocol: q.proto, lower: lower, upper: upper)
        default:
            if case .number = atValue.kind, q.type == nil, q.proto != nil || q.direction != .either {
                // `tcp dst 80` is not pcap; `dst 80` neither: numbers need `port`.
                throw PolicyDiagnostic(.badFilter, at: atValue.location, "a bare number here needs 'port' or 'host' before it")
            }
            if let proto = q.proto, !["ip", "ip6", "arp", "rarp", FilterPrimitive.anyIPFamily].contains(proto) {
                throw PolicyDiagnostic(.badFilter, at: atValue.location, "'\(proto) host' is not a filter; addresses belong to ip, ip6, arp or rarp")
            }
            if case .identifier(let name) = atValue.kind {
                _ = advance()
                return .address(q.direction, protocol: q.proto, .name(name))
            }
            let prefix = try addressPrefix()
            if q.type == "host", prefix.length != prefix.width {
                throw PolicyDiagnostic(.badFilter, at: atValue.location, "'host' takes an address, not a prefix; use 'net' for \(prefix)")
            }
            if prefix.family == .ipv6, let proto = q.proto, proto != "ip6", proto != FilterPrimitive.anyIPFamily {
                throw PolicyDiagnostic(.badFilter, at: atValue.location, "an IPv6 address cannot follow '\(proto)'")
            }
            if prefix.family == .ipv4, q.proto == "ip6" {
                throw PolicyDiagnostic(.badFilter, at: atValue.location, "an IPv4 address cannot follow 'ip6'")
            }
            return .address(q.direction, protocol: q.proto, .prefix(prefix))
        }
    }

    private mutating func directionQualifier() throws(PolicyDiagnostic) -> FilterDirection? {
        guard current.isKeyword("src") || current.isKeyword("dst") else { return nil }
        let first = advance().identifier!
        if (current.isKeyword("or") || current.isKeyword("and")), peek().isKeyword(first == "src" ? "dst" : "src") {
            let joiner = advance().identifier!
            _ = advance()
            return joiner == "or" ? .either : .both
        }
        return first == "src" ? .source : .destination
    }

    private mutating func portValue(range: Bool) throws(PolicyDiagnostic) -> (Int, Int) {
        let location = current.location
        let lower = try portNumberOrService()
        var upper = lower
        if range {
            _ = try expect("-", "in a port range (portrange 1024-2047)")
            upper = try portNumberOrService()
        }
        guard lower <= upper else {
            throw PolicyDiagnostic(.badFilter, at: location, "port range \(lower)-\(upper) is empty: the first port is larger than the last")
        }
        return (lower, upper)
    }

    private mutating func portNumberOrService() throws(PolicyDiagnostic) -> Int {
        let token = current
        switch token.kind {
        case .number(let value):
            _ = advance()
            guard value <= 65535 else { throw PolicyDiagnostic(.badFilter, at: token.location, "port \(token.text) is out of range (0-65535)") }
            return Int(value)
        case .identifier(let name):
            guard let port = Self.serviceNames[name] else {
                throw PolicyDiagnostic(.badFilter, at: token.location, "unknown service name '\(name)'; write the port number")
            }
            _ = advance()
            return port
        default:
            throw unexpected("a port number")
        }
    }

    private mutating func protocolNumber(ether: Bool = false) throws(PolicyDiagnostic) -> Int {
        let token = current
        let names: [String: Int] = ether ? ["ip": 0x0800, "ip6": 0x86dd, "arp": 0x0806, "rarp": 0x8035]
            : ["icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51, "icmp6": 58, "sctp": 132]
        if case .symbol("\\") = token.kind { _ = advance() }
        let value: Int
        switch current.kind {
        case .number(let number) where number <= (ether ? 0xffff : 0xff): value = Int(number)
        case .identifier(let name) where names[name] != nil: value = names[name]!
        default: throw PolicyDiagnostic(.badFilter, at: current.location, "expected a protocol number (0-\(ether ? 65535 : 255)) or name, found '\(current.text)'")
        }
        _ = advance()
        return value
    }

    /// `base[offset]`, `base[offset:size]`, then `& mask`, a relation and a value.
    private mutating func byteTest() throws(PolicyDiagnostic) -> FilterPrimitive {
        let base = advance().identifier!
        _ = advance()
        let offsetLocation = current.location
        let offset = try constant()
        var size: UInt128 = 1
        if current.isSymbol(":") {
            _ = advance()
            let sizeLocation = current.location
            size = try constant()
            guard [1, 2, 4].contains(size) else { throw PolicyDiagnostic(.badFilter, at: sizeLocation, "a byte test reads 1, 2 or 4 bytes, not \(size)") }
        }
        guard offset <= 1500 else { throw PolicyDiagnostic(.badFilter, at: offsetLocation, "offset \(offset) is past any Ethernet frame") }
        _ = try expect("]", "to close the byte test")
        return try comparisonTail(.bytes(base: base, offset: Int(offset), size: Int(size)))
    }

    private mutating func comparisonTail(_ operand: ByteOperand) throws(PolicyDiagnostic) -> FilterPrimitive {
        var mask: UInt128?
        if current.isSymbol("&") {
            _ = advance()
            mask = try constant()
        }
        guard case .symbol(let relation) = current.kind, Self.relations.contains(relation) else {
            throw unexpected("a comparison (==, !=, <, <=, >, >=)")
        }
        _ = advance()
        let value = try constant()
        return .comparison(operand, mask: mask, relation: relation == "=" ? "==" : relation, value: value)
    }

    /// A number, a named constant, or `(` constants joined by `|`, `&` or `+` `)`.
    private mutating func constant() throws(PolicyDiagnostic) -> UInt128 {
        if current.isSymbol("(") {
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maximumDepth else {
                throw PolicyDiagnostic(.syntax, at: current.location, "the constant nests parentheses more than \(Self.maximumDepth) deep")
            }
            _ = advance()
            var value = try constant()
            while case .symbol(let op) = current.kind, ["|", "&", "+"].contains(op) {
                _ = advance()
                let next = try constant()
                value = op == "|" ? value | next : op == "&" ? value & next : value &+ next
            }
            _ = try expect(")", "to close the constant")
            return value
        }
        switch current.kind {
        case .number(let value):
            _ = advance()
            return value
        case .identifier(let name) where Self.namedConstants[name] != nil:
            _ = advance()
            return Self.namedConstants[name]!
        default:
            throw unexpected("a number")
        }
    }

    /// `Type.attr`, `Type.attr == "value"`, `Type.attr != value`.
    private mutating func attributeTest(type: String, name: String, at location: SourceLocation) throws(PolicyDiagnostic) -> FilterPrimitive {
        let qualified = "\(type).\(name)"
        guard case .symbol(let relation) = current.kind, ["==", "!=", "="].contains(relation) else {
            return .attribute(type: type, name: name, relation: "==", value: "true")
        }
        _ = advance()
        let value: String
        switch current.kind {
        case .string(let text): value = text
        case .identifier(let word): value = word
        case .number(let number): value = String(number)
        default: throw unexpected("a value to compare \(qualified) with")
        }
        _ = advance()
        return .attribute(type: type, name: name, relation: relation == "!=" ? "!=" : "==", value: value)
    }
}
