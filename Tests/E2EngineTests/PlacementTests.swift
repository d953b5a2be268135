import E2Engine
import Foundation
import XCTest

final class PlacementTests: XCTestCase {
    var catalog: NFCatalog!
    var testbed: HardwareDescription!
    var rack: HardwareDescription!

    override func setUpWithError() throws {
        catalog = try NFCatalog.decode(json: try Fixtures.example("nfs.json"))
        testbed = try HardwareDescription.decode(json: try Fixtures.example("hardware-paper-testbed.json"))
        rack = try HardwareDescription.decode(json: try Fixtures.example("hardware-rack24.json"))
    }

    func graph(_ name: String) throws -> PolicyGraph {
        let text = String(decoding: try Fixtures.example(name), as: UTF8.self)
        return try XCTUnwrap(PolicyChecker.check([.init(name: name, text: text)], catalog: catalog).graph)
    }

    /// A pGraph written as edges `from>to:gbps`, with NF types by name prefix.
    func chain(_ edges: [(String, String, Double)], types: [String: String], ports: Set<String> = ["in", "out"]) -> PolicyGraph {
        var names: [String] = []
        for (from, to, _) in edges { for name in [from, to] where !names.contains(name) { names.append(name) } }
        let nodes = names.map { name in
            ports.contains(name) ? PolicyGraph.Node(name: name, kind: .port, ports: [0]) : PolicyGraph.Node(name: name, kind: .nf, type: types[name])
        }
        return PolicyGraph(nodes: nodes, edges: edges.map { PolicyGraph.Edge(from: $0.0, to: $0.1, bandwidthBps: $0.2 * 1e9) })
    }

    func testSizingUsesTheSlowestClockAndLoadsFromTheAnnotations() throws {
        let graph = try graph("fig13-bng.e2")
        let rates = try EdgeRates.compute(graph)
        let sizing = try Sizing.compute(graph, rates: rates, catalog: catalog, hardware: testbed)
        XCTAssertEqual(sizing["nat"]?.inputGbps, 7.2)
        XCTAssertEqual(sizing["nat"]?.gbpsPerInstance ?? 0, 1.6 * 2.6, accuracy: 1e-9)
        XCTAssertEqual(sizing["nat"]?.instances, 2, "7.2 / 4.16 rounds up to 2")
        XCTAssertEqual(sizing["fw"]?.instances, 3, "7.2 / 3.12")
        XCTAssertEqual(sizing["ids"]?.inputGbps ?? 0, 3.6, accuracy: 1e-9, "FW's two unannotated edges share its 7.2 Gbps")
        XCTAssertEqual(sizing["ids"]?.instances, 4, "3.6 / 0.91")
    }

    func testANonReplicableNFGetsOneInstanceAndAWarning() throws {
        let graph = try graph("fig16-ratelimiter.e2")
        let rates = try EdgeRates.compute(graph, overrides: [try XCTUnwrap(.parse("int->r=12Gbps"))])
        let sizing = try Sizing.compute(graph, rates: rates, catalog: catalog, hardware: testbed)
        XCTAssertEqual(sizing["r"]?.instances, 1)
        XCTAssertTrue(sizing["r"]?.warning?.contains("not replicable") ?? false, "\(String(describing: sizing["r"]))")
    }

    func testLoadOverridesParseUnitsAndRejectUnknownEdges() throws {
        XCTAssertEqual(EdgeRates.Override.parse("nat->fw=2Gbps"), .init(from: "nat", to: "fw", gbps: 2))
        XCTAssertEqual(EdgeRates.Override.parse("a -> b = 500Mbps")?.gbps, 0.5)
        XCTAssertNil(EdgeRates.Override.parse("nat=2Gbps"))
        XCTAssertNil(EdgeRates.Override.parse("a->b=fast"))
        XCTAssertThrowsError(try EdgeRates.compute(try graph("fig13-bng.e2"), overrides: [.init(from: "nat", to: "vpn", gbps: 1)])) { error in
            XCTAssertEqual((error as? PlanError)?.code, .unknownEdge)
        }
    }

    // MARK: Figure 4

    func instanceGraph(_ graph: PolicyGraph) throws -> InstanceGraph {
        let rates = try EdgeRates.compute(graph)
        let sizing = try Sizing.compute(graph, rates: rates, catalog: catalog, hardware: testbed)
        return InstanceGraph.build(graph, rates: rates, sizing: sizing, catalog: catalog)
    }

    func testFigure4bOneUpstreamSplitsOverDownstreamInstancesByFlowID() throws {
        // VPN (1 instance at 1.5 Gbps) -> FW at 9 Gbps (3 instances, 5-tuple affinity).
        let graph = chain([("in", "v", 1.5), ("v", "f", 9), ("f", "out", 9)], types: ["v": "VPN", "f": "FW"])
        let igraph = try instanceGraph(graph)
        let split = igraph.edges.filter { $0.from == "v#0" }
        XCTAssertEqual(split.map(\.to), ["f#0", "f#1", "f#2"])
        XCTAssertEqual(split.map { $0.split?.fields ?? [] }, Array(repeating: HeaderField.allCases.sorted(), count: 3))
        XCTAssertEqual(split.map { [$0.split!.lower, $0.split!.upper] }, [[0, 21844], [21845, 43689], [43690, 65535]])
        XCTAssertEqual(split.map(\.gbps).reduce(0, +), 9, accuracy: 1e-9)
    }

    func testFigure4cManyToManyHashesOnTheDownstreamAffinity() throws {
        // NAT (2 instances, src ip) -> VPN (3 instances, dst ip): dst ip is not implied by src ip.
        let graph = chain([("in", "n", 8), ("n", "v", 4.5), ("v", "out", 4.5)], types: ["n": "NAT", "v": "VPN"])
        let igraph = try instanceGraph(graph)
        let mesh = igraph.edges.filter { $0.from.hasPrefix("n#") }
        XCTAssertEqual(mesh.count, 2 * 3)
        XCTAssertTrue(mesh.allSatisfy { $0.split?.fields == [.destinationAddress] && !$0.direct })
    }

    func testFigure4dImpliedAffinityConnectsInstancesDirectly() throws {
        // NAT (src ip) feeds FW (5-tuple) with as many instances: each NAT instance's flows
        // already form whole FW aggregates, so no reclassification.
        let graph = chain([("in", "n", 8), ("n", "f", 6), ("f", "out", 6)], types: ["n": "NAT", "f": "FW"])
        let igraph = try instanceGraph(graph)
        XCTAssertEqual(igraph.nodes.filter { $0.node == "n" }.count, 2)
        XCTAssertEqual(igraph.nodes.filter { $0.node == "f" }.count, 2)
        let links = igraph.edges.filter { $0.from.hasPrefix("n#") }
        XCTAssertEqual(links.map { "\($0.from)>\($0.to)" }, ["n#0>f#0", "n#1>f#1"])
        XCTAssertTrue(links.allSatisfy { $0.direct && $0.split == nil })
        XCTAssertTrue(InstanceGraph.implies([.sourceAddress], HeaderField.allCases))
        XCTAssertFalse(InstanceGraph.implies(HeaderField.allCases, [.sourceAddress]))
        XCTAssertTrue(InstanceGraph.implies([], []), "an NF without affinity takes any split")
    }

    // MARK: Placement

    func testE2CutsCrossServerTrafficBelowPackingAndRandom() throws {
        let graph = try graph("fig13-bng.e2")
        let overrides = [EdgeRates.Override(from: "subscribers", to: "nat", gbps: 12)]
        let e2 = try ClusterPlan.make(graph, catalog: catalog, hardware: testbed, overrides: overrides, strategy: .e2).plan
        let random = try ClusterPlan.make(graph, catalog: catalog, hardware: testbed, overrides: overrides, strategy: .random, seed: 3).plan
        XCTAssertLessThan(e2.figures.crossServerGbps, random.figures.crossServerGbps)
        XCTAssertThrowsError(try ClusterPlan.make(graph, catalog: catalog, hardware: testbed, overrides: overrides, strategy: .packing)) { error in
            XCTAssertEqual((error as? PlanError)?.code, .notEnoughBandwidth, "plain packing cannot fit 12 Gbps through one 10 Gbps link")
        }
    }

    func testPlansAreDeterministic() throws {
        let graph = try graph("fig2-ids.e2")
        for strategy in PlacementStrategy.allCases {
            let first = try ClusterPlan.make(graph, catalog: catalog, hardware: rack, strategy: strategy, seed: 9).plan
            let second = try ClusterPlan.make(graph, catalog: catalog, hardware: rack, strategy: strategy, seed: 9).plan
            XCTAssertEqual(first, second, strategy.rawValue)
        }
    }

    func testTooFewCoresIsNamedWithTheShortfall() throws {
        let graph = try graph("fig13-bng.e2")
        XCTAssertThrowsError(try ClusterPlan.make(graph, catalog: catalog, hardware: testbed, overrides: [.init(from: "subscribers", to: "nat", gbps: 120)])) { error in
            let planError = error as? PlanError
            XCTAssertEqual(planError?.code, .notEnoughCores)
            XCTAssertTrue(planError?.message.contains("servers have 64 cores for NFs (68 less 4 for dataplanes)") ?? false, "\(String(describing: planError))")
        }
    }

    func testIncrementalPlacementKeepsEveryExistingInstanceAndSitsNextToNeighbours() throws {
        let graph = chain([("in", "n", 3), ("n", "f", 3), ("f", "out", 3)], types: ["n": "NAT", "f": "FW"])
        let before = try instanceGraph(graph)
        let placement = try Placer.place(before, hardware: testbed, strategy: .e2)
        // Load grows: the FW splits into more instances; nothing placed may move.
        let grown = chain([("in", "n", 3), ("n", "f", 9), ("f", "out", 9)], types: ["n": "NAT", "f": "FW"])
        let after = try instanceGraph(grown)
        let incremental = try Placer.placeIncrementally(after, hardware: testbed, existing: placement)
        for (id, server) in placement.servers { XCTAssertEqual(incremental.servers[id], server, id) }
        XCTAssertEqual(Set(incremental.servers.keys), Set(after.nodes.filter { $0.kind == .instance }.map(\.id)))
        XCTAssertEqual(incremental.servers["f#2"], placement.servers["n#0"], "the new FW instance joins its NAT")
    }
}
