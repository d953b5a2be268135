import E2Engine
import Foundation
import XCTest

final class InterconnectionTests: XCTestCase {
    var catalog: NFCatalog!
    var testbed: HardwareDescription!

    override func setUpWithError() throws {
        catalog = try NFCatalog.decode(json: try Fixtures.example("nfs.json"))
        testbed = try HardwareDescription.decode(json: try Fixtures.example("hardware-paper-testbed.json"))
    }

    func plan(_ name: String, load: [EdgeRates.Override] = [], hardware: HardwareDescription? = nil) throws -> ClusterPlan {
        let text = String(decoding: try Fixtures.example(name), as: UTF8.self)
        let graph = try XCTUnwrap(PolicyChecker.check([.init(name: name, text: text)], catalog: catalog).graph)
        return try ClusterPlan.make(graph, catalog: catalog, hardware: hardware ?? testbed, overrides: load).plan
    }

    func testPortAttributesPickTheOutputVportAndDropsStayLocal() throws {
        let wiring = try plan("fig14-nat-fw-proxy.e2").interconnection
        let stages = wiring.servers.flatMap(\.stages)
        let safe = try XCTUnwrap(stages.first { $0.instance == "f#0" && $0.vport == "safe" })
        let unsafe = try XCTUnwrap(stages.first { $0.instance == "f#0" && $0.vport == "unsafe" })
        XCTAssertEqual(Set(safe.rules.map { $0.next.target ?? $0.next.kind.rawValue }), ["ext", "n#0"])
        XCTAssertEqual(unsafe.rules.map(\.next.kind), [.drop])
        XCTAssertEqual(safe.rules.first { $0.next.kind == .egress }?.filter, "FW.safe && !(dst ip wan_net)")
    }

    func testFilterInResolvesToTheInputVport() throws {
        let wiring = try plan("fig16-ratelimiter.e2").interconnection
        let ingress = wiring.switchRules.filter { $0.match == .ingress }
        XCTAssertEqual(ingress.count, 2)
        let arrivals = try XCTUnwrap(wiring.servers.first).arrivals
        XCTAssertEqual(Set(arrivals.map(\.vport)), ["vp0", "vp1"], "each priority reaches its own vport")
        XCTAssertTrue(arrivals.allSatisfy(\.stripTags), "the legacy rate limiter gets plain packets")
        for rule in ingress {
            XCTAssertEqual(rule.ports, Array(0...7))
            XCTAssertEqual(rule.entries, 8, "one entry per matched ingress port")
            XCTAssertTrue(arrivals.contains { $0.servicePath == rule.encapsulate })
        }
    }

    func testEdgesBetweenServersRideServicePathsThatTheTargetServerDelivers() throws {
        let plan = try plan("fig13-bng.e2", load: [.init(from: "subscribers", to: "nat", gbps: 12)])
        let wiring = plan.interconnection
        let tunnels = wiring.servers.flatMap { server in server.stages.flatMap(\.rules).filter { $0.next.kind == .tunnel }.map { (server.server, $0) } }
        XCTAssertFalse(tunnels.isEmpty, "12 Gbps cannot stay on one server")
        for (source, rule) in tunnels {
            let target = try XCTUnwrap(plan.instances.first { $0.id == rule.next.target })
            XCTAssertNotEqual(target.server, source)
            let arrival = try XCTUnwrap(wiring.servers.first { $0.server == target.server }?.arrivals.first { $0.servicePath == rule.next.servicePath })
            XCTAssertEqual(arrival.instance, target.id)
            XCTAssertEqual(arrival.vport, rule.next.vport)
            let switchRule = try XCTUnwrap(wiring.switchRules.first { $0.match == .servicePath && $0.servicePath == rule.next.servicePath })
            XCTAssertEqual(switchRule.outputPorts, [testbed.servers.first { $0.name == target.server }!.switchPort])
        }
        let paths = wiring.servers.flatMap(\.arrivals).map(\.servicePath)
        XCTAssertEqual(paths.count, Set(paths).count, "one service path per instance input")
        XCTAssertEqual(plan.switchRules, wiring.switchRules)
    }

    func testManglingNFsSteerOnlyOnFieldsTheyLeaveAlone() throws {
        let stages = try plan("fig13-bng.e2").interconnection.servers.flatMap(\.stages)
        let nat = try XCTUnwrap(stages.first { $0.instance == "nat#0" })
        XCTAssertEqual(nat.steeringFields, [.destinationAddress, .destinationPort, .transportProtocol])
        XCTAssertEqual(stages.first { $0.instance == "fw#0" }?.steeringFields, HeaderField.allCases)
    }

    func testASwitchWithoutEnoughFlowEntriesIsNamed() throws {
        var small = testbed!
        small.switch.flowTableEntries = 10
        XCTAssertThrowsError(try plan("fig14-nat-fw-proxy.e2", hardware: small)) { error in
            XCTAssertEqual((error as? PlanError)?.code, .notEnoughFlowEntries)
            XCTAssertEqual((error as? PlanError)?.message, "the switch needs 29 flow-table entries and has 10: 19 short")
        }
    }
}

final class OffloadTests: XCTestCase {
    static let policy = """
        Forwarder edge; NAT n;
        Port<0-3> a; Port<4-7> b;
        pipelet { a -> (2Gbps) edge; edge -> n; n -> b; }
        """

    func make(flowTableEntries: Int, actions: [String] = ["forward", "flowIdRange", "encap"]) throws -> ClusterPlan {
        var catalog = try NFCatalog.decode(json: try Fixtures.example("nfs.json"))
        catalog.nfs.append(NFDescription(name: "Forwarder", api: .native, inputs: ["in"], outputs: ["out"], replicable: true, affinity: [],
                                         performance: .init(gbpsPerCorePerGHz: 1), switchAction: "forward"))
        var hardware = try HardwareDescription.decode(json: try Fixtures.example("hardware-paper-testbed.json"))
        hardware.switch.flowTableEntries = flowTableEntries
        hardware.switch.actions = actions
        let graph = try XCTUnwrap(PolicyChecker.check([.init(name: "offload.e2", text: Self.policy)], catalog: catalog).graph)
        return try ClusterPlan.make(graph, catalog: catalog, hardware: hardware).plan
    }

    func testAnNFNextToAPortWhoseActionTheSwitchOffersRunsOnTheSwitch() throws {
        let plan = try make(flowTableEntries: 2048)
        XCTAssertEqual(plan.offloaded, ["edge"])
        XCTAssertEqual(plan.instances.first { $0.nf == "edge" }?.server, "switch")
        XCTAssertEqual(plan.instances.first { $0.nf == "edge" }?.cores, 0)
        XCTAssertTrue(plan.switchRules.contains { $0.match == .ingress && $0.action == "forward" && $0.ports == [0, 1, 2, 3] })
        XCTAssertEqual(plan.interconnection.switchStages.first?.rules.first?.next.kind, .tunnel, "from the switch on to the NAT's server")
        XCTAssertEqual(plan.figures.coresUsed, 1, "only the NAT takes a core")
    }

    func testNoOffloadWhenTheSwitchLacksTheActionOrTheTableRoom() throws {
        XCTAssertEqual(try make(flowTableEntries: 2048, actions: ["encap"]).offloaded, [])
        let onServers = try make(flowTableEntries: 2048, actions: ["encap"]).interconnection.flowTableEntriesUsed
        let offloaded = try make(flowTableEntries: 2048).interconnection.flowTableEntriesUsed
        XCTAssertGreaterThan(offloaded, onServers, "running the NF on the switch costs entries")
        let tight = try make(flowTableEntries: onServers)
        XCTAssertEqual(tight.offloaded, [], "no room left: the Forwarder runs on a server")
        XCTAssertEqual(tight.interconnection.flowTableEntriesUsed, onServers)
    }
}
