/// A word of the policy language, with where it starts.
public struct Token: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case identifier(String)
        case number(UInt128)
        /// A decimal with a fraction, for bandwidths (`1.5Gbps`).
        case decimal(Double)
        /// A dotted IPv4 address (`10.12.30.0`).
        case ipv4(UInt32)
        /// An IPv6 address (`2001:db8::1`).
        case ipv6(UInt128)
        case string(String)
        /// Punctuation and operators: `->`, `&&`, `==`, `{`, ...
        case symbol(String)
        case end
    }

    public var kind: Kind
    public var location: SourceLocation
    /// The token's text as written.
    public var text: String

    func isSymbol(_ symbol: String) -> Bool { kind == .symbol(symbol) }

    func isKeyword(_ word: String) -> Bool { kind == .identifier(word) }

    var identifier: String? {
        if case .identifier(let name) = kind { return name }
        return nil
    }
}
