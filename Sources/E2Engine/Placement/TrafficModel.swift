/// The iGraph as placement sees it: instances to put on servers and the traffic between them.
///
/// Ports are outside every server (their traffic always crosses the switch); traffic to Drop
/// is dropped where it is and costs nothing. A Tee is placed like an instance.
struct TrafficModel {
    /// Placeable nodes: NF instances and Tees, in iGraph order.
    let placeable: [String]
    let index: [String: Int]
    /// Per placeable node: (neighbour, Gbps, outgoing?). A neighbour of -1 is outside (a port).
    let adjacency: [[(neighbour: Int, gbps: Double, outgoing: Bool)]]
    let servers: [ServerDescription]

    init(_ graph: InstanceGraph, hardware: HardwareDescription) {
        placeable = graph.nodes.filter { $0.kind == .instance || $0.kind == .tee }.map(\.id)
        index = Dictionary(uniqueKeysWithValues: placeable.enumerated().map { ($1, $0) })
        var adjacency = [[(neighbour: Int, gbps: Double, outgoing: Bool)]](repeating: [], count: placeable.count)
        let kinds = Dictionary(uniqueKeysWithValues: graph.nodes.map { ($0.id, $0.kind) })
        for edge in graph.edges where edge.gbps > 0 && kinds[edge.to] != .drop {
            let from = index[edge.from], to = index[edge.to]
            if let from { adjacency[from].append((to ?? -1, edge.gbps, true)) }
            if let to { adjacency[to].append((from ?? -1, edge.gbps, false)) }
        }
        self.adjacency = adjacency
        servers = hardware.servers
    }

    /// Traffic between servers (not counting the unavoidable external traffic).
    func crossServerGbps(_ assignment: [Int]) -> Double {
        var total = 0.0
        for (node, links) in adjacency.enumerated() {
            for link in links where link.outgoing && link.neighbour >= 0 && assignment[link.neighbour] != assignment[node] {
                total += link.gbps
            }
        }
        return total
    }

    /// Per server: cores used, NIC Gbps in and out. Nodes not yet placed (-1) send and
    /// receive nothing, so a partial placement is judged on what is decided.
    func usage(_ assignment: [Int]) -> [(cores: Int, inGbps: Double, outGbps: Double)] {
        var usage = [(cores: Int, inGbps: Double, outGbps: Double)](repeating: (0, 0, 0), count: servers.count)
        for (node, server) in assignment.enumerated() where server >= 0 {
            usage[server].cores += 1
            for link in adjacency[node] where link.neighbour < 0 || (assignment[link.neighbour] != server && assignment[link.neighbour] >= 0) {
                if link.outgoing { usage[server].outGbps += link.gbps } else { usage[server].inGbps += link.gbps }
            }
        }
        return usage
    }

    /// Whether a server's use fits its cores and NIC.
    func fits(_ use: (cores: Int, inGbps: Double, outGbps: Double), on server: Int) -> Bool {
        let description = servers[server]
        return use.cores <= description.nfCores && use.inGbps <= description.nicGbps + 1e-9 && use.outGbps <= description.nicGbps + 1e-9
    }

    /// How far a server is over its cores and NIC (0 when it fits), in core and Gbps units.
    func overload(_ use: (cores: Int, inGbps: Double, outGbps: Double), on server: Int) -> Double {
        let description = servers[server]
        return Double(max(0, use.cores - description.nfCores)) + max(0, use.inGbps - description.nicGbps) + max(0, use.outGbps - description.nicGbps)
    }

    /// How cross-server traffic changes when `node` moves to `target`, the others staying.
    func moveGain(_ node: Int, to target: Int, _ assignment: [Int], ignoring partner: Int = -2) -> Double {
        let current = assignment[node]
        var gain = 0.0
        for link in adjacency[node] where link.neighbour >= 0 && link.neighbour != partner {
            let other = assignment[link.neighbour]
            if other == current { gain -= link.gbps }
            if other == target { gain += link.gbps }
        }
        return gain
    }
}
