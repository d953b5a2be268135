import Foundation

/// Splits policy text into tokens, skipping `//` and `/* */` comments.
///
/// Addresses are recognised here (IPv4 dotted quads, IPv6 with colons) so that the parser
/// sees `10.0.0.1` as one word, as libpcap's scanner does.
struct PolicyLexer {
    private let characters: [Character]
    private let file: String
    private var index = 0
    private var line = 1
    private var column = 1

    init(source: String, file: String) {
        characters = Array(source)
        self.file = file
    }

    /// All tokens, ending with `.end`; the first lexical error stops it.
    mutating func tokenize() throws(PolicyDiagnostic) -> [Token] {
        var tokens: [Token] = []
        while true {
            let token = try next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private static let symbols = ["->", "&&", "||", "==", "!=", "<=", ">=", "<<", ">>",
                                  "{", "}", "(", ")", "[", "]", ";", "<", ">", "-", "+", "*", "/", "&", "|", "!", "=", ":", ",", "."]

    private mutating func next() throws(PolicyDiagnostic) -> Token {
        try skipSpaceAndComments()
        let start = SourceLocation(file: file, line: line, column: column)
        guard index < characters.count else { return Token(kind: .end, location: start, text: "") }
        let character = characters[index]

        if character == "\"" { return try string(at: start) }
        if let address = ipv6(at: start) { return address }
        if character.isNumber { return try number(at: start) }
        if character.isLetter || character == "_" { return word(at: start) }
        for symbol in Self.symbols where matches(symbol) {
            advance(symbol.count)
            return Token(kind: .symbol(symbol), location: start, text: symbol)
        }
        throw PolicyDiagnostic(.syntax, at: start, "unexpected character '\(character)'")
    }

    private mutating func skipSpaceAndComments() throws(PolicyDiagnostic) {
        while index < characters.count {
            if characters[index].isWhitespace {
                advance(1)
            } else if matches("//") {
                while index < characters.count && characters[index] != "\n" { advance(1) }
            } else if matches("/*") {
                let start = SourceLocation(file: file, line: line, column: column)
                advance(2)
                while index < characters.count && !matches("*/") { advance(1) }
                guard index < characters.count else { throw PolicyDiagnostic(.syntax, at: start, "comment is not closed with */") }
                advance(2)
            } else {
                return
            }
        }
    }

    private func matches(_ text: String) -> Bool {
        var position = index
        for character in text {
            guard position < characters.count, characters[position] == character else { return false }
            position += 1
        }
        return true
    }

    private mutating func advance(_ count: Int) {
        for _ in 0..<count where index < characters.count {
            if characters[index] == "\n" { line += 1; column = 1 } else { column += 1 }
            index += 1
        }
    }

    /// Letters, digits and `_`; a `-` joins words like `tcp-syn` when a letter follows it.
    private mutating func word(at start: SourceLocation) -> Token {
        var text = ""
        while index < characters.count {
            let character = characters[index]
            if character.isLetter || character.isNumber || character == "_" {
                text.append(character)
                advance(1)
            } else if character == "-", index + 1 < characters.count, characters[index + 1].isLetter, !text.isEmpty,
                      ["tcp", "icmp", "icmp6"].contains(where: { text == $0 }) {
                text.append(character)
                advance(1)
            } else {
                break
            }
        }
        return Token(kind: .identifier(text), location: start, text: text)
    }

    private mutating func number(at start: SourceLocation) throws(PolicyDiagnostic) -> Token {
        if matches("0x") || matches("0X") {
            advance(2)
            var digits = ""
            while index < characters.count, characters[index].isHexDigit { digits.append(characters[index]); advance(1) }
            guard let value = UInt128(digits, radix: 16) else { throw PolicyDiagnostic(.syntax, at: start, "hexadecimal number needs digits after 0x") }
            return Token(kind: .number(value), location: start, text: "0x" + digits)
        }
        var text = ""
        while index < characters.count, characters[index].isNumber || (characters[index] == "." && index + 1 < characters.count && characters[index + 1].isNumber) {
            text.append(characters[index])
            advance(1)
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            guard let value = UInt128(text) else { throw PolicyDiagnostic(.syntax, at: start, "number \(text) is too large") }
            return Token(kind: .number(value), location: start, text: text)
        case 2:
            return Token(kind: .decimal(Double(text) ?? 0), location: start, text: text)
        case 4:
            var address: UInt32 = 0
            for part in parts {
                guard let octet = UInt8(part) else { throw PolicyDiagnostic(.badAddress, at: start, "\(text) is not an IPv4 address: \(part) is not 0-255") }
                address = address << 8 | UInt32(octet)
            }
            return Token(kind: .ipv4(address), location: start, text: text)
        default:
            throw PolicyDiagnostic(.badAddress, at: start, "\(text) is neither a number nor an IPv4 address")
        }
    }

    /// An IPv6 address: a run of hex digits, colons and dots with at least two colons.
    private mutating func ipv6(at start: SourceLocation) -> Token? {
        var end = index
        var colons = 0
        while end < characters.count, characters[end].isHexDigit || characters[end] == ":" || characters[end] == "." {
            if characters[end] == ":" { colons += 1 }
            end += 1
        }
        guard colons >= 2 else { return nil }
        let text = String(characters[index..<end])
        guard let value = IPv6Address.parse(text) else { return nil }
        advance(end - index)
        return Token(kind: .ipv6(value), location: start, text: text)
    }

    private mutating func string(at start: SourceLocation) throws(PolicyDiagnostic) -> Token {
        advance(1)
        var text = ""
        while index < characters.count, characters[index] != "\"" {
            if characters[index] == "\n" { break }
            if characters[index] == "\\", index + 1 < characters.count { advance(1) }
            text.append(characters[index])
            advance(1)
        }
        guard index < characters.count, characters[index] == "\"" else {
            throw PolicyDiagnostic(.syntax, at: start, "string is not closed with \" on the same line")
        }
        advance(1)
        return Token(kind: .string(text), location: start, text: "\"\(text)\"")
    }
}

/// IPv6 text forms (RFC 4291 §2.2), including `::` and an embedded IPv4 tail.
public enum IPv6Address {
    public static func parse(_ text: String) -> UInt128? {
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            guard !part.isEmpty else { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (position, piece) in pieces.enumerated() {
                if piece.contains("."), position == pieces.count - 1 {
                    let octets = piece.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
                    guard octets.count == 4 else { return nil }
                    result += [UInt16(octets[0]) << 8 | UInt16(octets[1]), UInt16(octets[2]) << 8 | UInt16(octets[3])]
                } else {
                    guard (1...4).contains(piece.count), let group = UInt16(piece, radix: 16) else { return nil }
                    result.append(group)
                }
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        let tail = halves.count == 2 ? groups(halves[1]) : []
        guard let tail else { return nil }
        let count = head.count + tail.count
        guard halves.count == 2 ? count <= 7 : count == 8 else { return nil }
        let all = head + Array(repeating: 0, count: 8 - count) + tail
        return all.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    public static func format(_ value: UInt128) -> String {
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: value >> UInt128(112 - 16 * $0)) }
        // The longest run of two or more zero groups becomes "::".
        var best = (start: -1, length: 0)
        var run = (start: -1, length: 0)
        for (position, group) in groups.enumerated() {
            if group == 0 {
                run = run.start < 0 ? (position, 1) : (run.start, run.length + 1)
                if run.length > best.length { best = run }
            } else {
                run = (-1, 0)
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return hex.joined(separator: ":") }
        let head = hex[..<best.start].joined(separator: ":")
        let tail = hex[(best.start + best.length)...].joined(separator: ":")
        return head + "::" + tail
    }
}

/// IPv4 text form.
public enum IPv4Address {
    public static func format(_ value: UInt32) -> String {
        (0..<4).map { String(value >> UInt32(24 - 8 * $0) & 0xff) }.joined(separator: ".")
    }
}
