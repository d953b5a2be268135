/// Refusing unknown members: a misspelt field (`"replicabel"`) must be an error, not a default.
public struct AnyCodingKey: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

extension Decoder {
    /// Throws `dataCorrupted` at the first member of this object that is not one of `keys`
    /// (the type's own `CodingKeys`, so the list of known members cannot drift from them).
    public func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ keys: Keys.Type) throws {
        let known = keys.allCases.map(\.stringValue)
        let container = try container(keyedBy: AnyCodingKey.self)
        for key in container.allKeys where !known.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: codingPath + [key],
                debugDescription: "unknown field \"\(key.stringValue)\"; expected one of \(known.joined(separator: ", "))"))
        }
    }
}

extension KeyedDecodingContainer {
    /// An optional member that, when present, must not be null.
    public func decodeUnlessAbsent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        contains(key) ? try decode(type, forKey: key) : nil
    }
}
