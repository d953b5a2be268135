/// Parses policy text into a `PolicyDocument`: declarations, then pipelets of edges.
///
/// The first syntax error ends the parse of a file (what follows it cannot be trusted), but
/// a file's other problems are found by the checker over what did parse.
public struct PolicyParser {
    var tokens: [Token]
    var position = 0
    /// How deep `not` and parentheses nest now; bounded so that no input can exhaust the stack
    /// of a thread (the API parses on threads with small stacks).
    var depth = 0
    static let maximumDepth = 100
    let file: String

    /// Parses one file.
    public static func parse(_ source: String, file: String) throws(PolicyDiagnostic) -> PolicyDocument {
        var lexer = PolicyLexer(source: source, file: file)
        var parser = PolicyParser(tokens: try lexer.tokenize(), file: file)
        return try parser.document()
    }

    /// Parses a filter on its own (the text between `[` and `]`).
    public static func parseFilter(_ source: String, file: String = "<filter>") throws(PolicyDiagnostic) -> FilterExpression {
        var lexer = PolicyLexer(source: source, file: file)
        var parser = PolicyParser(tokens: try lexer.tokenize(), file: file)
        let filter = try parser.filter()
        guard parser.current.kind == .end else { throw parser.unexpected("the end of the filter") }
        return filter
    }

    var current: Token { tokens[position] }

    func peek(_ offset: Int = 1) -> Token { tokens[min(position + offset, tokens.count - 1)] }

    mutating func advance() -> Token {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    mutating func expect(_ symbol: String, _ context: String) throws(PolicyDiagnostic) -> Token {
        guard current.isSymbol(symbol) else { throw unexpected("'\(symbol)' \(context)") }
        return advance()
    }

    mutating func expectIdentifier(_ what: String) throws(PolicyDiagnostic) -> NameReference {
        guard let name = current.identifier else { throw unexpected(what) }
        let token = advance()
        return NameReference(name: name, location: token.location)
    }

    func unexpected(_ expected: String) -> PolicyDiagnostic {
        let found = current.kind == .end ? "the end of the input" : "'\(current.text)'"
        return PolicyDiagnostic(.syntax, at: current.location, "expected \(expected), found \(found)")
    }

    mutating func document() throws(PolicyDiagnostic) -> PolicyDocument {
        var document = PolicyDocument()
        while current.kind != .end {
            if current.isKeyword("pipelet") {
                document.pipelets.append(try pipelet())
            } else {
                document.declarations.append(try declaration())
            }
        }
        return document
    }

    mutating func declaration() throws(PolicyDiagnostic) -> Declaration {
        let start = current.location
        let type = try expectIdentifier("a declaration (Type name;), Port<a-b> name;, Address name prefix; or pipelet { ... }")
        switch type.name {
        case "Port":
            _ = try expect("<", "after Port (Port<first-last> name;)")
            let rangeLocation = current.location
            let first = try portNumber()
            var last = first
            if current.isSymbol("-") {
                _ = advance()
                last = try portNumber()
            }
            _ = try expect(">", "to close the port range")
            let name = try expectIdentifier("the port group's name")
            _ = try expect(";", "after the declaration")
            return Declaration(name: name.name, kind: .portGroup(first: first, last: last), location: name.location, detailLocation: rangeLocation)
        case "Address":
            let name = try expectIdentifier("the address's name (Address name prefix;)")
            let prefixLocation = current.location
            let prefix = try addressPrefix()
            _ = try expect(";", "after the declaration")
            return Declaration(name: name.name, kind: .address(prefix), location: name.location, detailLocation: prefixLocation)
        default:
            let name = try expectIdentifier("the name of the \(type.name) instance (\(type.name) name;)")
            _ = try expect(";", "after the declaration")
            return Declaration(name: name.name, kind: .instance(type: type.name), location: name.location, detailLocation: start)
        }
    }

    mutating func portNumber() throws(PolicyDiagnostic) -> Int {
        guard case .number(let value) = current.kind else { throw unexpected("a switch port number") }
        let token = advance()
        guard value <= 65535 else { throw PolicyDiagnostic(.portRange, at: token.location, "switch port \(token.text) is out of range (0-65535)") }
        return Int(value)
    }

    /// `a.b.c.d[/len]`, `a.b.c.d mask m.m.m.m`, or an IPv6 address with an optional `/len`.
    mutating func addressPrefix() throws(PolicyDiagnostic) -> AddressPrefix {
        let token = current
        var prefix: AddressPrefix
        switch token.kind {
        case .ipv4(let value):
            _ = advance()
            prefix = AddressPrefix(family: .ipv4, address: UInt128(value), length: 32)
        case .ipv6(let value):
            _ = advance()
            prefix = AddressPrefix(family: .ipv6, address: value, length: 128)
        default:
            throw unexpected("an IPv4 or IPv6 address")
        }
        if current.isSymbol("/") {
            _ = advance()
            guard case .number(let length) = current.kind, length <= UInt128(prefix.width) else {
                throw PolicyDiagnostic(.badAddress, at: current.location, "prefix length must be 0-\(prefix.width) for an \(prefix.family == .ipv4 ? "IPv4" : "IPv6") address")
            }
            _ = advance()
            prefix.length = Int(length)
        } else if current.isKeyword("mask"), prefix.family == .ipv4 {
            _ = advance()
            guard case .ipv4(let mask) = current.kind else { throw unexpected("a netmask such as 255.255.255.0") }
            let maskToken = advance()
            let length = (~mask).leadingZeroBitCount
            let contiguous: UInt32 = length == 0 ? 0 : ~0 << UInt32(32 - length)
            guard mask == contiguous else {
                throw PolicyDiagnostic(.badAddress, at: maskToken.location, "netmask \(maskToken.text) is not contiguous")
            }
            prefix.length = length
        }
        let (lower, _) = prefix.range
        guard lower == prefix.address else {
            throw PolicyDiagnostic(.badAddress, at: token.location, "\(token.text)/\(prefix.length) has bits set past the prefix length (did you mean \(AddressPrefix(family: prefix.family, address: lower, length: prefix.length))?)")
        }
        return prefix
    }

    mutating func pipelet() throws(PolicyDiagnostic) -> Pipelet {
        let start = advance().location
        _ = try expect("{", "after pipelet")
        var edges: [PolicyEdge] = []
        while !current.isSymbol("}") {
            guard current.kind != .end else { throw unexpected("'}' to close the pipelet opened at \(start.line):\(start.column)") }
            edges.append(try edge())
        }
        _ = advance()
        return Pipelet(edges: edges, location: start)
    }

    mutating func edge() throws(PolicyDiagnostic) -> PolicyEdge {
        let source = try expectIdentifier("an edge (src [filter] -> (bw) [filter_in] dst;)")
        var filterOut: FilterExpression?
        var filterText: String?
        if current.isSymbol("[") {
            _ = advance()
            let first = position
            filterOut = try filter()
            filterText = Self.text(of: tokens[first..<position])
            _ = try expect("]", "to close the filter")
        }
        _ = try expect("->", "between the edge's source and destination")
        var bandwidth: Double?
        if current.isSymbol("(") {
            _ = advance()
            bandwidth = try self.bandwidth()
            _ = try expect(")", "to close the bandwidth")
        }
        var filterIn: NameReference?
        if current.isSymbol("[") {
            _ = advance()
            filterIn = try expectIdentifier("a filter_in name such as prio0")
            _ = try expect("]", "to close the filter_in")
        }
        let destination = try expectIdentifier("the edge's destination")
        _ = try expect(";", "after the edge")
        return PolicyEdge(source: source, filterOut: filterOut, filterText: filterText, bandwidth: bandwidth,
                          filterIn: filterIn, destination: destination, location: source.location)
    }

    static let bandwidthUnits: [String: Double] = ["bps": 1, "kbps": 1e3, "mbps": 1e6, "gbps": 1e9]

    /// `7200Mbps`, `1.5Gbps`, `100` (bits per second).
    mutating func bandwidth() throws(PolicyDiagnostic) -> Double {
        let location = current.location
        let amount: Double
        switch current.kind {
        case .number(let value): amount = Double(value)
        case .decimal(let value): amount = value
        default: throw unexpected("a bandwidth such as 7200Mbps")
        }
        _ = advance()
        var scale = 1.0
        if let unit = current.identifier {
            guard let factor = Self.bandwidthUnits[unit.lowercased()] else {
                throw PolicyDiagnostic(.badBandwidth, at: current.location, "unknown bandwidth unit '\(unit)'; use bps, Kbps, Mbps or Gbps")
            }
            scale = factor
            _ = advance()
        }
        let bitsPerSecond = amount * scale
        guard bitsPerSecond.isFinite, bitsPerSecond > 0 else {
            throw PolicyDiagnostic(.badBandwidth, at: location, "bandwidth must be more than 0")
        }
        return bitsPerSecond
    }

    /// Tokens as text, spaced as a person would write them.
    static func text(of tokens: ArraySlice<Token>) -> String {
        var text = ""
        var previous: Token?
        for token in tokens {
            if let previous, !(previous.isSymbol("(") || previous.isSymbol("!") || previous.isSymbol("[") || previous.isSymbol(".")
                || token.isSymbol(")") || token.isSymbol("]") || token.isSymbol("[") || token.isSymbol(".")
                || token.isSymbol(":") || previous.isSymbol(":")) {
                text += " "
            }
            text += token.text
            previous = token
        }
        return text
    }
}
