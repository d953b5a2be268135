/// The instance graph (iGraph, §5.1 step 3): every NF split into its instances, with edges
/// rewired so each instance gets its share of traffic without breaking the NF's affinity.
public struct InstanceGraph: Sendable, Equatable, Codable {
    public struct Node: Sendable, Equatable, Codable {
        public enum Kind: String, Sendable, Codable {
            case instance, port, drop, tee
            /// An NF offloaded to the switch: one node, outside every server.
            case offloaded
        }
        /// `nat#0` for instances; the port group's or node's own name otherwise.
        public var id: String
        public var kind: Kind
        /// The pGraph node it comes from.
        public var node: String
        public var type: String?
        /// Which instance of its NF (0-based).
        public var index: Int
        /// The traffic it receives, in Gbps.
        public var loadGbps: Double
    }

    /// How traffic is spread over a NF's instances: a range of flow IDs, a hash of `fields`.
    public struct FlowSplit: Sendable, Equatable, Codable {
        public var fields: [HeaderField]
        public var lower: Int
        public var upper: Int
    }

    public struct Edge: Sendable, Equatable, Codable {
        public var from: String
        public var to: String
        public var gbps: Double
        /// The pGraph edge's final filter.
        public var filter: String?
        /// The flow-ID range this edge carries, when the destination NF is split.
        public var split: FlowSplit?
        /// True when an upstream instance feeds one downstream instance without reclassifying
        /// (Figure 4(d)).
        public var direct: Bool
        /// The index of the pGraph edge it realises.
        public var pgraphEdge: Int
    }

    /// Flow IDs are 16-bit hashes; instance j of n gets an equal slice.
    public static let flowIDs = 65536

    public var nodes: [Node]
    public var edges: [Edge]
    /// Switch ports per port group.
    public var portCounts: [String: Int] = [:]

    public func node(_ id: String) -> Node? { nodes.first { $0.id == id } }

    /// The slice of flow IDs of instance `index` of `count`.
    public static func range(_ index: Int, of count: Int) -> (Int, Int) {
        (index * flowIDs / count, (index + 1) * flowIDs / count - 1)
    }

    /// Splits every NF into its instances; the NFs in `offloaded` become one switch node each.
    public static func build(_ graph: PolicyGraph, rates: EdgeRates, sizing: Sizing, catalog: NFCatalog, offloaded: Set<String> = []) -> InstanceGraph {
        var nodes: [Node] = []
        var members: [String: [String]] = [:]
        for node in graph.nodes {
            switch node.kind {
            case .nf where offloaded.contains(node.name):
                members[node.name] = ["\(node.name)@switch"]
                nodes.append(Node(id: "\(node.name)@switch", kind: .offloaded, node: node.name, type: node.type, index: 0, loadGbps: 0))
            case .nf:
                let count = sizing[node.name]?.instances ?? 1
                members[node.name] = (0..<count).map { "\(node.name)#\($0)" }
                nodes += (0..<count).map { Node(id: "\(node.name)#\($0)", kind: .instance, node: node.name, type: node.type, index: $0, loadGbps: 0) }
            case .port, .drop, .tee:
                members[node.name] = [node.name]
                let kind: Node.Kind = node.kind == .port ? .port : node.kind == .drop ? .drop : .tee
                nodes.append(Node(id: node.name, kind: kind, node: node.name, type: nil, index: 0, loadGbps: 0))
            }
        }
        let affinity: [String: [HeaderField]] = Dictionary(uniqueKeysWithValues: graph.nodes.filter { !offloaded.contains($0.name) }.compactMap { node in
            node.type.flatMap { catalog[$0] }.map { (node.name, $0.affinity) }
        })
        var edges: [Edge] = []
        for (index, edge) in graph.edges.enumerated() {
            let sources = members[edge.from] ?? [edge.from]
            let targets = members[edge.to] ?? [edge.to]
            let rate = rates.gbps[index]
            let fromNF = affinity[edge.from] != nil
            if targets.count == 1 {
                for source in sources {
                    edges.append(Edge(from: source, to: targets[0], gbps: rate / Double(sources.count), filter: edge.finalFilter, split: nil, direct: false, pgraphEdge: index))
                }
            } else if fromNF, sources.count == targets.count, Self.implies(affinity[edge.from] ?? [], affinity[edge.to] ?? []) {
                for (source, target) in zip(sources, targets) {
                    edges.append(Edge(from: source, to: target, gbps: rate / Double(sources.count), filter: edge.finalFilter, split: nil, direct: true, pgraphEdge: index))
                }
            } else {
                let fields = (affinity[edge.to] ?? []).isEmpty ? HeaderField.allCases : (affinity[edge.to] ?? [])
                for source in sources {
                    for (position, target) in targets.enumerated() {
                        let (lower, upper) = range(position, of: targets.count)
                        edges.append(Edge(from: source, to: target, gbps: rate / Double(sources.count * targets.count), filter: edge.finalFilter,
                                          split: FlowSplit(fields: fields.sorted(), lower: lower, upper: upper), direct: false, pgraphEdge: index))
                    }
                }
            }
        }
        var load: [String: Double] = [:]
        for edge in edges { load[edge.to, default: 0] += edge.gbps }
        for position in nodes.indices { nodes[position].loadGbps = load[nodes[position].id, default: 0] }
        var portCounts: [String: Int] = [:]
        for node in graph.nodes where node.kind == .port { portCounts[node.name] = node.ports?.count ?? 1 }
        return InstanceGraph(nodes: nodes, edges: edges, portCounts: portCounts)
    }

    /// Whether grouping by `upstream` fields keeps every `downstream` aggregate on one instance:
    /// true when the downstream aggregate is finer (has all the upstream fields) or is empty.
    public static func implies(_ upstream: [HeaderField], _ downstream: [HeaderField]) -> Bool {
        downstream.isEmpty || (!upstream.isEmpty && Set(upstream).isSubset(of: Set(downstream)))
    }
}
