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

    public static func < (lhs: HeaderField, rhs: HeaderField) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
