import E2Engine

/// What wiring needs from the policy besides its pGraph: address names and port groups.
public struct PolicyContext: Sendable, Equatable {
    public var addresses: [String: AddressPrefix] = [:]
    /// Port group name to its switch ports.
    public var portGroups: [String: [Int]] = [:]

    public init(addresses: [String: AddressPrefix] = [:], portGroups: [String: [Int]] = [:]) {
        self.addresses = addresses
        self.portGroups = portGroups
    }

    /// The declarations of policy texts (already checked by `PolicyChecker`).
    public init(policies: [String]) throws(WiringError) {
        for (index, text) in policies.enumerated() {
            let document: PolicyDocument
            do { document = try PolicyParser.parse(text, file: "policy\(index)") } catch { throw WiringError("policy \(index + 1): \(error)") }
            for declaration in document.declarations {
                switch declaration.kind {
                case .address(let prefix): addresses[declaration.name] = prefix
                case .portGroup(let first, let last): portGroups[declaration.name] = Array(first...last)
                case .instance: break
                }
            }
        }
    }
}
