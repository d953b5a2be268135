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
    /// NFs that run on the switch.
    public var offloaded: [String]
    public var warnings: [String]

    /// Sizes, splits and places `graph` on `hardware`.
    public static func make(
        _ graph: PolicyGraph, catalog: NFCatalog, hardware: HardwareDescription,
        overrides: [EdgeRates.Override] = [], strategy: PlacementStrategy = .e2, seed: UInt64 = 1, existing: Placement? = nil,
        extraInstances: [String: Int] = [:]
    ) throws(PlanError) -> (plan: ClusterPlan, instanceGraph: InstanceGraph, placement: Placement) {
        let rates = try EdgeRates.compute(graph, overrides: overrides)
        var sizing = try Sizing.compute(graph, rates: rates, catalog: catalog, hardware: hardware)
        // Instances added by scaling (an overloaded NF split, §5.4), for replicable NFs.
        for index in sizing.entries.indices {
            guard let extra = extraInstances[sizing.entries[index].node], extra > 0,
                  catalog[sizing.entries[index].type]?.replicable ?? false else { continue }
            sizing.entries[index].instances += extra
        }
        // Offload (§5.1 step 5): an NF next to a switch port whose function the switch offers
        // runs on the switch, as long as its flow table has room; otherwise on servers.
        var offloaded = offloadCandidates(graph, catalog: catalog, hardware: hardware)
        var instanceGraph: InstanceGraph
        var placement: Placement
        var wiring: InterconnectionPlan
        while true {
            instanceGraph = InstanceGraph.build(graph, rates: rates, sizing: sizing, catalog: catalog, offloaded: Set(offloaded))
            // With an existing placement (a server failed or came back), instances whose server
            // is still there stay; the others are placed incrementally beside their neighbours.
            // When that cannot fit, the whole graph is placed again.
            if let existing, let kept = try? Placer.placeIncrementally(instanceGraph, hardware: hardware, existing: existing) {
                placement = kept
            } else {
                placement = try Placer.place(instanceGraph, hardware: hardware, strategy: strategy, seed: seed)
            }
            do {
                wiring = try InterconnectionPlan.build(graph, instanceGraph, placement: placement, catalog: catalog, hardware: hardware)
                break
            } catch where error.code == .notEnoughFlowEntries && !offloaded.isEmpty {
                offloaded.removeLast()
            }
        }
        let figures = PlanFigures.compute(instanceGraph, placement: placement, hardware: hardware, catalog: catalog)
        let instances = instanceGraph.nodes.compactMap { node -> Instance? in
            if node.kind == .offloaded { return Instance(id: node.id, nf: node.node, type: node.type, server: "switch", cores: 0, loadGbps: node.loadGbps) }
            guard let server = placement.servers[node.id] else { return nil }
            return Instance(id: node.id, nf: node.node, type: node.type, server: server, cores: 1, loadGbps: node.loadGbps)
        }
        let edges = instanceGraph.edges.map { edge in
            Edge(from: edge.from, to: edge.to, gbps: edge.gbps, filter: edge.filter,
                 flowIDs: edge.split.map { "hash(\($0.fields.map(\.rawValue).joined(separator: ", "))) in \($0.lower)-\($0.upper)" },
                 direct: edge.direct)
        }
        let plan = ClusterPlan(strategy: strategy, sizing: sizing, instances: instances, edges: edges, figures: figures,
                               switchRules: wiring.switchRules, interconnection: wiring, offloaded: offloaded,
                               warnings: sizing.entries.compactMap(\.warning))
        return (plan, instanceGraph, placement)
    }

    /// NFs the switch can run: their description names an action the switch offers, and an
    /// edge joins them to a port group. Ordered by name; the last is dropped first for room.
    static func offloadCandidates(_ graph: PolicyGraph, catalog: NFCatalog, hardware: HardwareDescription) -> [String] {
        let ports = Set(graph.nodes.filter { $0.kind == .port }.map(\.name))
        return graph.nodes.filter { node in
            guard node.kind == .nf, let action = node.type.flatMap({ catalog[$0] })?.switchAction, hardware.switch.actions.contains(action) else { return false }
            return graph.edges.contains { ($0.from == node.name && ports.contains($0.to)) || ($0.to == node.name && ports.contains($0.from)) }
        }.map(\.name).sorted()
    }
}
