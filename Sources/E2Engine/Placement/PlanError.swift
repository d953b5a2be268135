/// Why a plan cannot be made: which resource, where, by how much.
public struct PlanError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable {
        case unknownEdge = "unknown-edge"
        case unknownNFType = "unknown-nf-type"
        case notEnoughCores = "not-enough-cores"
        case notEnoughBandwidth = "not-enough-bandwidth"
        case notEnoughFlowEntries = "not-enough-flow-entries"
        case invalidGraph = "invalid-graph"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
