/// The pGraphs of the paper's placement simulation (§7.2, Figure 9), for benchmarks.
public enum PlacementScenarios {
    /// A linear chain of five NFs between two port groups of the rack.
    public static func chain(inputGbps: Double) -> PolicyGraph {
        let types = ["NAT", "FW", "IDS", "VPN", "NetMonitor"]
        var nodes = [PolicyGraph.Node(name: "in", kind: .port, ports: Array(0...11)), PolicyGraph.Node(name: "out", kind: .port, ports: Array(12...23))]
        nodes += types.enumerated().map { PolicyGraph.Node(name: "n\($0.offset)", kind: .nf, type: $0.element) }
        let names = ["in"] + types.indices.map { "n\($0)" } + ["out"]
        let edges = zip(names, names.dropFirst()).map { PolicyGraph.Edge(from: $0, to: $1, bandwidthBps: inputGbps * 1e9) }
        return PolicyGraph(nodes: nodes, edges: edges)
    }

    /// A random DAG of `count` NFs: each NF sends its traffic to one to three later NFs or out.
    /// Only the input is annotated; rates follow from the even split of each NF's output.
    public static func randomGraph(count: Int = 10, inputGbps: Double, seed: UInt64) -> PolicyGraph {
        var state = seed
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        let types = ["NAT", "FW", "IDS", "VPN", "Normalizer", "NetMonitor", "WebCache", "Proxy"]
        var nodes = [PolicyGraph.Node(name: "in", kind: .port, ports: Array(0...11)), PolicyGraph.Node(name: "out", kind: .port, ports: Array(12...23))]
        nodes += (0..<count).map { PolicyGraph.Node(name: "n\($0)", kind: .nf, type: types[next(types.count)]) }
        var edges = [PolicyGraph.Edge(from: "in", to: "n0", bandwidthBps: inputGbps * 1e9)]
        var reached: Set<Int> = [0]
        for index in 0..<count where reached.contains(index) {
            var targets: Set<Int> = []
            for _ in 0..<(1 + next(3)) { targets.insert(index + 1 + next(min(4, count - index))) }
            for target in targets.sorted() {
                edges.append(.init(from: "n\(index)", to: target >= count ? "out" : "n\(target)"))
                if target < count { reached.insert(target) }
            }
        }
        let used = Set(edges.flatMap { [$0.from, $0.to] })
        return PolicyGraph(nodes: nodes.filter { used.contains($0.name) }, edges: edges)
    }
}
