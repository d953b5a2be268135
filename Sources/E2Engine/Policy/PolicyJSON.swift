/// The JSON form of a policy, for the API: the same declarations and pipelets as the text.
///
/// Filters stay in filter syntax (a string), so the two forms say exactly the same thing.
/// JSON becomes text through `text()`, one declaration or edge per line, so diagnostics on
/// a JSON policy point at lines of that canonical text.
public struct PolicyJSON: Codable, Sendable, Equatable {
    public struct Declaration: Codable, Sendable, Equatable {
        public var name: String
        /// The NF type (or `Tee`) of an instance.
        public var type: String?
        /// The first and last switch port of a port group.
        public var ports: [Int]?
        /// The prefix of an address (`10.12.30.0/24`).
        public var address: String?

        public init(name: String, type: String? = nil, ports: [Int]? = nil, address: String? = nil) {
            self.name = name
            self.type = type
            self.ports = ports
            self.address = address
        }

        private enum CodingKeys: String, CodingKey, CaseIterable { case name, type, ports, address }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            type = try container.decodeUnlessAbsent(String.self, forKey: .type)
            ports = try container.decodeUnlessAbsent([Int].self, forKey: .ports)
            address = try container.decodeUnlessAbsent(String.self, forKey: .address)
        }
    }

    public struct Edge: Codable, Sendable, Equatable {
        public var from: String
        public var to: String
        public var filter: String?
        /// The expected rate in bits per second.
        public var bandwidthBps: Double?
        public var filterIn: String?

        public init(from: String, to: String, filter: String? = nil, bandwidthBps: Double? = nil, filterIn: String? = nil) {
            self.from = from
            self.to = to
            self.filter = filter
            self.bandwidthBps = bandwidthBps
            self.filterIn = filterIn
        }

        private enum CodingKeys: String, CodingKey, CaseIterable { case from, to, filter, bandwidthBps, filterIn }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            from = try container.decode(String.self, forKey: .from)
            to = try container.decode(String.self, forKey: .to)
            filter = try container.decodeUnlessAbsent(String.self, forKey: .filter)
            bandwidthBps = try container.decodeUnlessAbsent(Double.self, forKey: .bandwidthBps)
            filterIn = try container.decodeUnlessAbsent(String.self, forKey: .filterIn)
        }
    }

    public struct Pipelet: Codable, Sendable, Equatable {
        public var edges: [Edge]
        public init(edges: [Edge]) { self.edges = edges }

        private enum CodingKeys: String, CodingKey, CaseIterable { case edges }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            edges = try decoder.container(keyedBy: CodingKeys.self).decode([Edge].self, forKey: .edges)
        }
    }

    public var declarations: [Declaration]
    public var pipelets: [Pipelet]

    public init(declarations: [Declaration], pipelets: [Pipelet]) {
        self.declarations = declarations
        self.pipelets = pipelets
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case declarations, pipelets }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        declarations = try container.decode([Declaration].self, forKey: .declarations)
        pipelets = try container.decode([Pipelet].self, forKey: .pipelets)
    }

    /// The JSON form of a parsed policy.
    public init(_ document: PolicyDocument) {
        declarations = document.declarations.map { declaration in
            switch declaration.kind {
            case .instance(let type): Declaration(name: declaration.name, type: type)
            case .portGroup(let first, let last): Declaration(name: declaration.name, ports: [first, last])
            case .address(let prefix): Declaration(name: declaration.name, address: prefix.description)
            }
        }
        pipelets = document.pipelets.map { pipelet in
            Pipelet(edges: pipelet.edges.map { edge in
                Edge(from: edge.source.name, to: edge.destination.name, filter: edge.filterText, bandwidthBps: edge.bandwidth, filterIn: edge.filterIn?.name)
            })
        }
    }

    /// Problems that make the JSON unusable before any text exists, each with its JSON path.
    public func problems() -> [DescriptionError] {
        var problems: [DescriptionError] = []
        for (index, declaration) in declarations.enumerated() {
            let kinds = [declaration.type != nil, declaration.ports != nil, declaration.address != nil].filter { $0 }.count
            if kinds != 1 {
                problems.append(.init(path: "$.declarations[\(index)]", message: "a declaration has exactly one of type, ports or address"))
            }
            if let ports = declaration.ports, ports.count != 2 {
                problems.append(.init(path: "$.declarations[\(index)].ports", message: "ports is [first, last]"))
            }
            for (field, value) in [("name", declaration.name), ("type", declaration.type ?? "x")] where !value.isIdentifier {
                problems.append(.init(path: "$.declarations[\(index)].\(field)", message: "\"\(value)\" is not a name"))
            }
        }
        for (p, pipelet) in pipelets.enumerated() {
            for (e, edge) in pipelet.edges.enumerated() {
                let at = "$.pipelets[\(p)].edges[\(e)]"
                for (field, value) in [("from", edge.from), ("to", edge.to), ("filterIn", edge.filterIn ?? "x")] where !value.isIdentifier {
                    problems.append(.init(path: "\(at).\(field)", message: "\"\(value)\" is not a name"))
                }
                if let filter = edge.filter, !Self.isEmbeddable(filter) {
                    problems.append(.init(path: "\(at).filter", message: "a filter needs balanced [ ] and no line break or comment"))
                }
                if let bandwidth = edge.bandwidthBps, !(bandwidth > 0) || !bandwidth.isFinite {
                    problems.append(.init(path: "\(at).bandwidthBps", message: "must be a positive number of bits per second"))
                }
            }
        }
        return problems
    }

    /// Whether a filter can sit between `[` and `]` on one line of text unchanged.
    static func isEmbeddable(_ filter: String) -> Bool {
        var depth = 0
        for character in filter {
            if character == "[" { depth += 1 }
            if character == "]" { depth -= 1 }
            if depth < 0 || character == "\n" || character == "\r" { return false }
        }
        return depth == 0 && !filter.contains("//") && !filter.contains("/*")
    }

    /// The policy text: one declaration or edge per line.
    public func text() -> String {
        var lines: [String] = []
        for declaration in declarations {
            if let type = declaration.type {
                lines.append("\(type) \(declaration.name);")
            } else if let ports = declaration.ports, ports.count == 2 {
                lines.append(ports[0] == ports[1] ? "Port<\(ports[0])> \(declaration.name);" : "Port<\(ports[0])-\(ports[1])> \(declaration.name);")
            } else if let address = declaration.address {
                lines.append("Address \(declaration.name) \(address);")
            }
        }
        for pipelet in pipelets {
            lines.append("pipelet {")
            for edge in pipelet.edges {
                var line = "  \(edge.from)"
                if let filter = edge.filter { line += " [\(filter)]" }
                line += " ->"
                if let bandwidth = edge.bandwidthBps { line += " (\(Self.bandwidthText(bandwidth)))" }
                if let filterIn = edge.filterIn { line += " [\(filterIn)]" }
                lines.append(line + " \(edge.to);")
            }
            lines.append("}")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A bandwidth in the largest unit that keeps it whole, so text and JSON agree exactly.
    static func bandwidthText(_ bps: Double) -> String {
        for (unit, scale) in [("Gbps", 1e9), ("Mbps", 1e6), ("Kbps", 1e3)] {
            let value = bps / scale
            if value >= 1, value == value.rounded(), value < 1e15 { return "\(Int(value))\(unit)" }
        }
        return bps == bps.rounded() && bps < 1e15 ? "\(Int(bps))bps" : "\(bps)bps"
    }
}
