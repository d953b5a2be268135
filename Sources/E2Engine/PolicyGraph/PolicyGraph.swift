/// The merged policy graph (pGraph, §5.1 step 1): one node per declared instance or port
/// group, every pipelet's edges, each with the filter it finally carries.
public struct PolicyGraph: Sendable, Equatable, Codable {
    public struct Node: Sendable, Equatable, Codable {
        public enum Kind: String, Sendable, Codable { case nf, port, drop, tee }
        public var name: String
        public var kind: Kind
        /// The NF type, for NF nodes.
        public var type: String?
        /// The switch ports, for port groups.
        public var ports: [Int]?

        public init(name: String, kind: Kind, type: String? = nil, ports: [Int]? = nil) {
            self.name = name
            self.kind = kind
            self.type = type
            self.ports = ports
        }
    }

    public struct Edge: Sendable, Equatable, Codable {
        public var from: String
        public var to: String
        /// The filter as written, or nil for "all traffic".
        public var filter: String?
        /// The port groups E2 limited the edge to, to resolve an overlap with another pipelet.
        public var ingress: [String]?
        /// The filter the edge finally carries: the written one limited by `ingress`.
        public var finalFilter: String?
        public var bandwidthBps: Double?
        /// The filter_in name and the input vport it resolves to.
        public var filterIn: String?
        public var input: String?
        /// Which pipelet (0-based, in file order) the edge comes from.
        public var pipelet: Int
        public var file: String
        public var line: Int
        public var column: Int

        public init(
            from: String, to: String, filter: String? = nil, ingress: [String]? = nil, finalFilter: String? = nil,
            bandwidthBps: Double? = nil, filterIn: String? = nil, input: String? = nil, pipelet: Int = 0,
            file: String = "", line: Int = 0, column: Int = 0
        ) {
            self.from = from
            self.to = to
            self.filter = filter
            self.ingress = ingress
            self.finalFilter = finalFilter
            self.bandwidthBps = bandwidthBps
            self.filterIn = filterIn
            self.input = input
            self.pipelet = pipelet
            self.file = file
            self.line = line
            self.column = column
        }
    }

    public var nodes: [Node]
    public var edges: [Edge]

    public init(nodes: [Node], edges: [Edge]) {
        self.nodes = nodes
        self.edges = edges
    }

    /// Graphviz text: NFs as boxes, port groups as ellipses, edges labelled with their final
    /// filters and bandwidths.
    public func dot() -> String {
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        var lines = ["digraph pgraph {", "  rankdir=LR;", "  node [fontname=\"Helvetica\"];", "  edge [fontname=\"Helvetica\", fontsize=10];"]
        for node in nodes {
            let (shape, label): (String, String) = switch node.kind {
            case .nf: ("box", "\(node.name)\\n\(node.type ?? "")")
            case .port: ("ellipse", "\(node.name)\\nPort<\(node.ports.map { "\($0.first ?? 0)-\($0.last ?? 0)" } ?? "")>")
            case .drop: ("octagon", "Drop")
            case .tee: ("triangle", "\(node.name)\\nTee")
            }
            lines.append("  \(quoted(node.name)) [shape=\(shape), label=\(quoted(label).replacingOccurrences(of: "\\\\n", with: "\\n"))];")
        }
        for edge in edges {
            var label = edge.finalFilter ?? ""
            if let bandwidth = edge.bandwidthBps { label += (label.isEmpty ? "" : "\\n") + Self.formatBandwidth(bandwidth) }
            if let filterIn = edge.filterIn { label += (label.isEmpty ? "" : "\\n") + "[\(filterIn)]" }
            let style = edge.ingress == nil ? "" : ", color=blue"
            lines.append("  \(quoted(edge.from)) -> \(quoted(edge.to)) [label=\(quoted(label).replacingOccurrences(of: "\\\\n", with: "\\n"))\(style)];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    static func formatBandwidth(_ bps: Double) -> String {
        for (unit, scale) in [("Gbps", 1e9), ("Mbps", 1e6), ("Kbps", 1e3)] where bps >= scale {
            let value = bps / scale
            return (value == value.rounded() ? String(Int(value)) : String(value)) + unit
        }
        return "\(Int(bps))bps"
    }
}
