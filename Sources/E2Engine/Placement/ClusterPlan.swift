/// Everything `e2 plan` computes for a policy on a cluster: sizing, iGraph, placement, the
/// interconnection plan with the switch rules, and the figures.
public struct ClusterPlan: Sendable, Equatable, Codable {
    public struct Instance: Sendable, Equatable, Codable {
        public var id: String
        public var nf: String
        public var type: String?
        public var server: String
        public var cores: Int
        public var loadGbps: Double
    }

    public struct Edge: Sendable, Equatable, Codable {
        public var from: String
        public var to: String
        public var gbps: Double
        public var filter: String?
        /// `hash(src ip) in 0-32767` when the edge carries a slice of flow IDs.
        public var flowIDs: String?
        public var direct: Bool
    }

    public var strategy: PlacementStrategy
    public var sizing: Sizing
    public var instances: [Instance]
    public var edges: [Edge]
    public var figures: PlanFigures
    /// The switch's rules (also inside `interconnection`), at the top for readers of the JSON.
    public var switchRules: [InterconnectionPlan.SwitchRule]
    public var interconnection: InterconnectionPlan
    public var warnings: [String]

    /// Sizes, splits and places `graph` on `hardware`.
    public static func make(
        _ graph: PolicyGraph, catalog: NFCatalog, hardware: HardwareDescription,
        overrides: [EdgeRates.Override] = [], strategy: PlacementStrategy = .e2, seed: UInt64 = 1
    ) throws(PlanError) -> (plan: ClusterPlan, instanceGraph: InstanceGraph, placement: Placement) {
        let rates = try EdgeRates.compute(graph, overrides: overrides)
        let sizing = try Sizing.compute(graph, rates: rates, catalog: catalog, hardware: hardware)
        let instanceGraph = InstanceGraph.build(graph, rates: rates, sizing: sizing, catalog: catalog)
        let placement = try Placer.place(instanceGraph, hardware: hardware, strategy: strategy, seed: seed)
        let figures = PlanFigures.compute(instanceGraph, placement: placement, hardware: hardware, catalog: catalog)
        let instances = instanceGraph.nodes.compactMap { node -> Instance? in
            guard let server = placement.servers[node.id] else { return nil }
            return Instance(id: node.id, nf: node.node, type: node.type, server: server, cores: 1, loadGbps: node.loadGbps)
        }
        let edges = instanceGraph.edges.map { edge in
            Edge(from: edge.from, to: edge.to, gbps: edge.gbps, filter: edge.filter,
                 flowIDs: edge.split.map { "hash(\($0.fields.map(\.rawValue).joined(separator: ", "))) in \($0.lower)-\($0.upper)" },
                 direct: edge.direct)
        }
        let wiring = try InterconnectionPlan.build(graph, instanceGraph, placement: placement, catalog: catalog, hardware: hardware)
        let plan = ClusterPlan(strategy: strategy, sizing: sizing, instances: instances, edges: edges, figures: figures,
                               switchRules: wiring.switchRules, interconnection: wiring, warnings: sizing.entries.compactMap(\.warning))
        return (plan, instanceGraph, placement)
    }
}
