import E2Engine
import Foundation
import XCTest

/// Random pGraphs, planned with every strategy: whatever succeeds must respect every server's
/// cores and link, realise every pGraph edge, and cover every flow-ID space exactly once.
final class PlacementPropertyTests: XCTestCase {
    struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        mutating func gbps() -> Double { Double(1 + next(40)) / 10 }
    }

    static let types = ["NAT", "FW", "IDS", "VPN", "Normalizer", "NetMonitor", "WebCache", "Proxy", "RateLimiter"]

    func randomGraph(_ random: inout Random) -> PolicyGraph {
        let count = 2 + random.next(6)
        var nodes = [PolicyGraph.Node(name: "in", kind: .port, ports: [0, 1]), PolicyGraph.Node(name: "out", kind: .port, ports: [2, 3])]
        for index in 0..<count { nodes.append(.init(name: "n\(index)", kind: .nf, type: Self.types[random.next(Self.types.count)])) }
        var edges = [PolicyGraph.Edge(from: "in", to: "n0", bandwidthBps: random.gbps() * 1e9)]
        for index in 1..<count where random.next(2) == 0 {
            edges.append(.init(from: "in", to: "n\(index)", bandwidthBps: random.gbps() * 1e9))
        }
        for index in 0..<count {
            // One to three edges forward (a DAG), or out.
            for _ in 0..<(1 + random.next(3)) {
                let target = index + 1 + random.next(count - index)
                edges.append(.init(from: "n\(index)", to: target >= count ? "out" : "n\(target)", bandwidthBps: random.gbps() * 1e9))
            }
        }
        return PolicyGraph(nodes: nodes, edges: edges)
    }

    func testRandomGraphsNeverExceedCapacityAndRealiseEveryEdge() throws {
        let catalog = try NFCatalog.decode(json: try Fixtures.example("nfs.json"))
        let hardware = [
            try HardwareDescription.decode(json: try Fixtures.example("hardware-paper-testbed.json")),
            try HardwareDescription.decode(json: try Fixtures.example("hardware-rack24.json")),
        ]
        var random = Random(state: 11)
        var planned = 0, refused = 0
        for trial in 0..<2000 {
            let graph = randomGraph(&random)
            let cluster = hardware[trial % 2]
            let strategy = PlacementStrategy.allCases[trial % 3]
            let made: (plan: ClusterPlan, instanceGraph: InstanceGraph, placement: Placement)
            do {
                made = try ClusterPlan.make(graph, catalog: catalog, hardware: cluster, strategy: strategy, seed: UInt64(trial))
            } catch {
                XCTAssertTrue([.notEnoughBandwidth, .notEnoughCores].contains(error.code), "\(error)")
                refused += 1
                continue
            }
            planned += 1
            try checkCapacity(made.instanceGraph, made.placement, cluster, trial: trial)
            try checkEdgesRealised(graph, made.instanceGraph, trial: trial)
        }
        XCTAssertGreaterThan(planned, 1500, "most random graphs fit (\(refused) refused)")
    }

    /// Cores and links, counted here from the iGraph without the planner's own model.
    func checkCapacity(_ igraph: InstanceGraph, _ placement: Placement, _ hardware: HardwareDescription, trial: Int) throws {
        var cores: [String: Int] = [:], inbound: [String: Double] = [:], outbound: [String: Double] = [:]
        for (_, server) in placement.servers { cores[server, default: 0] += 1 }
        let drops = Set(igraph.nodes.filter { $0.kind == .drop }.map(\.id))
        for edge in igraph.edges where !drops.contains(edge.to) {
            let from = placement.servers[edge.from], to = placement.servers[edge.to]
            guard from != to else { continue }
            if let from { outbound[from, default: 0] += edge.gbps }
            if let to { inbound[to, default: 0] += edge.gbps }
        }
        for server in hardware.servers {
            XCTAssertLessThanOrEqual(cores[server.name, default: 0], server.nfCores, "trial \(trial): cores of \(server.name)")
            XCTAssertLessThanOrEqual(inbound[server.name, default: 0], server.nicGbps + 1e-6, "trial \(trial): link into \(server.name)")
            XCTAssertLessThanOrEqual(outbound[server.name, default: 0], server.nicGbps + 1e-6, "trial \(trial): link out of \(server.name)")
        }
        XCTAssertEqual(Set(placement.servers.keys), Set(igraph.nodes.filter { $0.kind == .instance }.map(\.id)), "trial \(trial): every instance placed")
    }

    func checkEdgesRealised(_ graph: PolicyGraph, _ igraph: InstanceGraph, trial: Int) throws {
        let rates = try EdgeRates.compute(graph)
        for (index, edge) in graph.edges.enumerated() {
            let realised = igraph.edges.filter { $0.pgraphEdge == index }
            XCTAssertEqual(realised.map(\.gbps).reduce(0, +), rates.gbps[index], accuracy: 1e-6, "trial \(trial): rate of \(edge.from)->\(edge.to)")
            let sources = Set(igraph.nodes.filter { $0.node == edge.from }.map(\.id))
            XCTAssertEqual(Set(realised.map(\.from)), sources, "trial \(trial): every instance of \(edge.from) feeds \(edge.to)")
            XCTAssertTrue(realised.allSatisfy { igraph.node($0.to)?.node == edge.to })
            // Per source instance: either one unsplit edge per target or flow-ID slices that
            // cover 0...65535 exactly once.
            for source in sources {
                let slices = realised.filter { $0.from == source }.compactMap(\.split).sorted { $0.lower < $1.lower }
                guard !slices.isEmpty else { continue }
                XCTAssertEqual(slices.first?.lower, 0, "trial \(trial)")
                XCTAssertEqual(slices.last?.upper, InstanceGraph.flowIDs - 1, "trial \(trial)")
                for (a, b) in zip(slices, slices.dropFirst()) { XCTAssertEqual(a.upper + 1, b.lower, "trial \(trial): gap or overlap") }
            }
        }
    }
}
