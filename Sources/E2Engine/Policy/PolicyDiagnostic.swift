/// One problem found in a policy, located in its source, as `e2 policy check` and the API
/// report it.
public struct PolicyDiagnostic: Error, Hashable, Sendable, Codable {
    public enum Severity: String, Sendable, Codable { case error, warning }

    /// A stable, machine-readable kind of problem.
    public enum Code: String, Sendable, Codable, CaseIterable {
        case syntax
        case undefinedName = "undefined-name"
        case duplicateName = "duplicate-name"
        case unknownNFType = "unknown-nf-type"
        case unknownAttribute = "unknown-attribute"
        case unknownInput = "unknown-input"
        case portGroupOverlap = "port-group-overlap"
        case portRange = "port-range"
        case badAddress = "bad-address"
        case badBandwidth = "bad-bandwidth"
        case badFilter = "bad-filter"
        case unsupportedFilter = "unsupported-filter"
        case cycle
        case invalidEdge = "invalid-edge"
        case ambiguousDestination = "ambiguous-destination"
        case missingDestination = "missing-destination"
    }

    /// An edge a diagnostic points at.
    public struct EdgeReference: Hashable, Sendable, Codable {
        public var line: Int
        public var column: Int
        public var file: String?
    }

    public var location: SourceLocation
    public var severity: Severity
    public var code: Code
    public var message: String
    /// The pGraph node the problem is at, for destination problems.
    public var node: String?
    /// The edges involved, for destination problems.
    public var edges: [EdgeReference]?
    /// A packet that shows the problem: header fields as the filter syntax names them,
    /// attribute values and the ingress port group.
    public var witness: [String: String]?

    public init(
        _ code: Code, at location: SourceLocation, _ message: String, severity: Severity = .error,
        node: String? = nil, edges: [SourceLocation]? = nil, witness: [String: String]? = nil
    ) {
        self.location = location
        self.severity = severity
        self.code = code
        self.message = message
        self.node = node
        self.edges = edges?.map { EdgeReference(line: $0.line, column: $0.column, file: $0.file == location.file ? nil : $0.file) }
        self.witness = witness
    }

    private enum CodingKeys: String, CodingKey {
        case file, line, column, severity, code, message, node, edges, witness
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        location = SourceLocation(
            file: try container.decode(String.self, forKey: .file), line: try container.decode(Int.self, forKey: .line),
            column: try container.decode(Int.self, forKey: .column))
        severity = try container.decode(Severity.self, forKey: .severity)
        code = try container.decode(Code.self, forKey: .code)
        message = try container.decode(String.self, forKey: .message)
        node = try container.decodeIfPresent(String.self, forKey: .node)
        edges = try container.decodeIfPresent([EdgeReference].self, forKey: .edges)
        witness = try container.decodeIfPresent([String: String].self, forKey: .witness)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(location.file, forKey: .file)
        try container.encode(location.line, forKey: .line)
        try container.encode(location.column, forKey: .column)
        try container.encode(severity, forKey: .severity)
        try container.encode(code, forKey: .code)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(node, forKey: .node)
        try container.encodeIfPresent(edges, forKey: .edges)
        try container.encodeIfPresent(witness, forKey: .witness)
    }

    /// The diagnostic as a compiler prints it: `file:line:column: error: message`, the source
    /// line, and a caret under the column.
    public func rendered(source: String?) -> String {
        var text = "\(location): \(severity.rawValue): \(message) [\(code.rawValue)]"
        if let source {
            let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
            if location.line >= 1 && location.line <= lines.count {
                let line = String(lines[location.line - 1])
                let padding = String(line.prefix(max(0, location.column - 1)).map { $0 == "\t" ? "\t" : " " })
                text += "\n  \(line)\n  \(padding)^"
            }
        }
        if let edges, !edges.isEmpty {
            text += "\n  edges: " + edges.map { "\($0.file ?? location.file):\($0.line):\($0.column)" }.joined(separator: ", ")
        }
        if let witness, !witness.isEmpty {
            text += "\n  witness packet: " + witness.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        }
        return text
    }
}
