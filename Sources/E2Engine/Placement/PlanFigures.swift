/// The figures of a placement: what crosses the switch, what is used, and how much input the
/// cluster carries before a core, a server link or an external port saturates (§7.2, Fig. 9).
public struct PlanFigures: Sendable, Equatable, Codable {
    /// All traffic through the switch: external ports in and out plus server to server.
    public var switchGbps: Double
    /// Traffic between servers alone, the part placement can change.
    public var crossServerGbps: Double
    public var coresUsed: Int
    public var coresAvailable: Int
    /// The most loaded server link, by its fuller direction, as a fraction of its speed.
    public var busiestLink: String?
    public var busiestLinkUtilization: Double
    /// The input the policy expects (the sum of edges leaving ports).
    public var inputGbps: Double
    /// The largest input the placement carries: the expected input scaled until the first
    /// resource saturates.
    public var maxInputGbps: Double
    /// The resource that saturates first.
    public var bottleneck: String?

    public static func compute(_ graph: InstanceGraph, placement: Placement, hardware: HardwareDescription, catalog: NFCatalog) -> PlanFigures {
        let model = TrafficModel(graph, hardware: hardware)
        let serverIndex = Dictionary(uniqueKeysWithValues: hardware.servers.enumerated().map { ($1.name, $0) })
        let assignment = model.placeable.map { placement.servers[$0].flatMap { serverIndex[$0] } ?? 0 }
        let usage = model.usage(assignment)
        let kinds = Dictionary(uniqueKeysWithValues: graph.nodes.map { ($0.id, $0.kind) })
        // Traffic to or from external ports and offloaded NFs crosses the switch wherever it goes.
        let outside: Set<InstanceGraph.Node.Kind> = [.port, .offloaded]
        let external = graph.edges.filter { (outside.contains(kinds[$0.from] ?? .drop) || outside.contains(kinds[$0.to] ?? .drop)) && kinds[$0.to] != .drop }
            .map(\.gbps).reduce(0, +)
        let cross = model.crossServerGbps(assignment)
        let input = graph.edges.filter { kinds[$0.from] == .port }.map(\.gbps).reduce(0, +)

        var scale = Double.infinity
        var bottleneck: String?
        func limit(_ capacity: Double, _ used: Double, _ what: String) {
            guard used > 1e-12 else { return }
            if capacity / used < scale { scale = capacity / used; bottleneck = what }
        }
        for node in graph.nodes where node.kind == .instance {
            guard let type = node.type, let nf = catalog[type], let server = placement.servers[node.id].flatMap({ serverIndex[$0] }) else { continue }
            limit(nf.performance.gbpsPerCorePerGHz * hardware.servers[server].ghz, node.loadGbps, "core of \(node.id)")
        }
        var busiest: (String?, Double) = (nil, 0)
        for (server, use) in usage.enumerated() {
            let nic = hardware.servers[server].nicGbps
            limit(nic, use.inGbps, "link into \(hardware.servers[server].name)")
            limit(nic, use.outGbps, "link out of \(hardware.servers[server].name)")
            let utilization = max(use.inGbps, use.outGbps) / nic
            if utilization > busiest.1 { busiest = (hardware.servers[server].name, utilization) }
        }
        // External port groups: their traffic spreads over their ports.
        var portIn: [String: Double] = [:], portOut: [String: Double] = [:]
        for edge in graph.edges {
            if kinds[edge.from] == .port { portIn[edge.from, default: 0] += edge.gbps }
            if kinds[edge.to] == .port { portOut[edge.to, default: 0] += edge.gbps }
        }
        for (group, gbps) in portIn { limit(hardware.switch.portGbps * Double(max(1, graph.portCount(group))), gbps, "ports of \(group) (in)") }
        for (group, gbps) in portOut { limit(hardware.switch.portGbps * Double(max(1, graph.portCount(group))), gbps, "ports of \(group) (out)") }

        return PlanFigures(
            switchGbps: external + cross, crossServerGbps: cross, coresUsed: model.placeable.count,
            coresAvailable: hardware.servers.map(\.nfCores).reduce(0, +), busiestLink: busiest.0, busiestLinkUtilization: busiest.1,
            inputGbps: input, maxInputGbps: scale.isFinite ? input * scale : 0, bottleneck: bottleneck)
    }
}

extension InstanceGraph {
    /// How many switch ports a port group node has (recorded when the graph is built).
    func portCount(_ group: String) -> Int { portCounts[group] ?? 1 }
}
