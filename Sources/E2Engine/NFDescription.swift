/// What E2 knows about one NF type: its vports, derived attributes, affinity and speed.
///
/// This is the "NF description" of the paper's §3.1 in the JSON form of `examples/nfs.json`.
/// Optional fields of that form (`attributes`, `inputAttributes`, `mangles`) default to empty.
public struct NFDescription: Codable, Sendable, Equatable {
    /// How the NF exchanges packets with E2D.
    public enum API: String, Codable, Sendable {
        /// Links E2NF and exchanges bursts with E2D without copies.
        case native
        /// An unmodified program on an ordinary Linux interface.
        case legacy
    }

    /// The type name a policy declares instances of (`NAT n;`).
    public var name: String
    public var api: API
    /// Input vports, in order; the first is where unannotated edges arrive.
    public var inputs: [String]
    /// Output vports, in order.
    public var outputs: [String]
    /// Derived attributes (`FW.safe`) the NF computes for each packet, by name.
    public var attributes: [String: DerivedAttribute]
    /// The filter_in names (`[prio0]`) an edge may use to reach a particular input.
    public var inputAttributes: [String: InputAttribute]
    /// Header fields the NF rewrites; steering after it can only rely on the others.
    public var mangles: [HeaderField]
    /// Whether E2 may split the NF into several instances.
    public var replicable: Bool
    /// The fields whose values must keep a packet on one instance; empty means any instance.
    public var affinity: [HeaderField]
    public var performance: Performance
    /// The switch action that implements this NF (`forward`, `encap`, ...), when the rack
    /// switch can run it instead of a server (§5.1 step 5).
    public var switchAction: String?

    public init(
        name: String, api: API, inputs: [String], outputs: [String],
        attributes: [String: DerivedAttribute] = [:], inputAttributes: [String: InputAttribute] = [:],
        mangles: [HeaderField] = [], replicable: Bool, affinity: [HeaderField], performance: Performance, switchAction: String? = nil
    ) {
        self.name = name
        self.api = api
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
        self.inputAttributes = inputAttributes
        self.mangles = mangles
        self.replicable = replicable
        self.affinity = affinity
        self.performance = performance
        self.switchAction = switchAction
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case name, api, inputs, outputs, attributes, inputAttributes, mangles, replicable, affinity, performance, switchAction
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        api = try container.decode(API.self, forKey: .api)
        inputs = try container.decode([String].self, forKey: .inputs)
        outputs = try container.decode([String].self, forKey: .outputs)
        attributes = try container.decodeUnlessAbsent([String: DerivedAttribute].self, forKey: .attributes) ?? [:]
        inputAttributes = try container.decodeUnlessAbsent([String: InputAttribute].self, forKey: .inputAttributes) ?? [:]
        mangles = try container.decodeUnlessAbsent([HeaderField].self, forKey: .mangles) ?? []
        replicable = try container.decode(Bool.self, forKey: .replicable)
        affinity = try container.decode([HeaderField].self, forKey: .affinity)
        performance = try container.decode(Performance.self, forKey: .performance)
        switchAction = try container.decodeUnlessAbsent(String.self, forKey: .switchAction)
    }
}

extension NFDescription {
    /// How an NF reports a derived attribute (§3.1): by the output vport a packet leaves on, or a tag.
    public enum DerivedAttribute: Codable, Sendable, Equatable {
        /// One output vport per attribute value (`"true": "safe"`).
        case port(valuesToOutputs: [String: String])
        /// A per-packet metadata tag E2D carries with the packet.
        case metadata

        private enum CodingKeys: String, CodingKey, CaseIterable { case method, ports }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let method = try container.decode(String.self, forKey: .method)
            switch method {
            case "port": self = .port(valuesToOutputs: try container.decode([String: String].self, forKey: .ports))
            case "metadata": self = .metadata
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .method, in: container,
                    debugDescription: "unknown method \"\(method)\"; expected \"port\" or \"metadata\"")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .port(let ports):
                try container.encode("port", forKey: .method)
                try container.encode(ports, forKey: .ports)
            case .metadata:
                try container.encode("metadata", forKey: .method)
            }
        }
    }

    /// How a filter_in name (`[prio0]`) reaches the NF: an input vport, or a metadata tag.
    public enum InputAttribute: Codable, Sendable, Equatable {
        case port(String)
        case metadata

        private enum CodingKeys: String, CodingKey, CaseIterable { case method, port }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let method = try container.decode(String.self, forKey: .method)
            switch method {
            case "port": self = .port(try container.decode(String.self, forKey: .port))
            case "metadata": self = .metadata
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .method, in: container,
                    debugDescription: "unknown method \"\(method)\"; expected \"port\" or \"metadata\"")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .port(let port):
                try container.encode("port", forKey: .method)
                try container.encode(port, forKey: .port)
            case .metadata:
                try container.encode("metadata", forKey: .method)
            }
        }
    }

    /// The NF's estimated processing rate, which sizing scales by a server's clock.
    public struct Performance: Codable, Sendable, Equatable {
        public var gbpsPerCorePerGHz: Double

        public init(gbpsPerCorePerGHz: Double) {
            self.gbpsPerCorePerGHz = gbpsPerCorePerGHz
        }

        private enum CodingKeys: String, CodingKey, CaseIterable { case gbpsPerCorePerGHz }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            gbpsPerCorePerGHz = try decoder.container(keyedBy: CodingKeys.self).decode(Double.self, forKey: .gbpsPerCorePerGHz)
        }
    }
}
