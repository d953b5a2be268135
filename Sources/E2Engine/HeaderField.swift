/// A packet header field as the policy language and NF descriptions name it (`"src ip"`).
///
/// Affinity, mangled fields and witness packets all use these names, so that what a user
/// writes in a filter is what they read back in a diagnostic or a plan.
public enum HeaderField: String, Codable, Sendable, CaseIterable, Comparable {
    case sourceAddress = "src ip"
    case destinationAddress = "dst ip"
    case sourcePort = "src port"
    case destinationPort = "dst port"
    case transportProtocol = "proto"

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let field = HeaderField(rawValue: name) else {
            let known = Self.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown header field \"\(name)\"; expected one of \(known)")
        }
        self = field
    }

    public static func < (lhs: HeaderField, rhs: HeaderField) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
