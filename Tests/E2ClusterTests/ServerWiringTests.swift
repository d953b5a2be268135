import E2Cluster
import E2Dataplane
import E2Engine
import Foundation
import XCTest

/// Interconnection plans of the paper's examples turned into E2D configurations.
final class ServerWiringTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func example(_ name: String) throws -> String { try String(contentsOf: root.appendingPathComponent("examples/\(name)"), encoding: .utf8) }

    struct Planned {
        var plan: ClusterPlan
        var context: PolicyContext
        var catalog: NFCatalog
        var tags: TagAssignments
    }

    static func plan(_ policy: String) throws -> Planned {
        let catalog = try NFCatalog.decode(json: Data(try example("nfs.json").utf8))
        let hardware = try HardwareDescription.decode(json: Data(try example("hardware-paper-testbed.json").utf8))
        let text = try example(policy)
        let checked = PolicyChecker.check([.init(name: policy, text: text)], catalog: catalog)
        let graph = try XCTUnwrap(checked.graph, "\(checked.diagnostics)")
        let plan = try ClusterPlan.make(graph, catalog: catalog, hardware: hardware).plan
        let context = try PolicyContext(policies: [text])
        return Planned(plan: plan, context: context, catalog: catalog, tags: try TagAssignments(portGroups: Array(context.portGroups.keys), catalog: catalog))
    }

    func testFilterTranslationSeparatesHeadersFromTags() throws {
        let planned = try Self.plan("fig13-bng.e2")
        func translate(_ text: String) throws -> DataplaneFilter {
            try DataplaneFilter.translate(text, addresses: planned.context.addresses, catalog: planned.catalog, tags: planned.tags)
        }
        let idsSlot = try XCTUnwrap(planned.tags.attributes["IDS.safe"])
        XCTAssertEqual(try translate("IDS.safe && dst net corp_net"), DataplaneFilter(pcap: "(dst net 192.0.2.0/24)", tags: [.init(slot: idsSlot, value: 1, equal: true)]))
        XCTAssertEqual(try translate("!IDS.safe"), DataplaneFilter(pcap: nil, tags: [.init(slot: idsSlot, value: 1, equal: false)]))
        XCTAssertEqual(try translate("FW.safe"), .everything, "decided by the output vport")
        XCTAssertEqual(try translate("ingress subscribers and tcp dst port 80"),
                       DataplaneFilter(pcap: "(tcp dst port 80)", tags: [.init(slot: 0, value: try XCTUnwrap(planned.tags.ingressGroups["subscribers"]), equal: true)]))
        XCTAssertThrowsError(try translate("IDS.safe || tcp")) { XCTAssertTrue("\($0)".contains("top-level terms")) }
        XCTAssertThrowsError(try translate("dst net nowhere")) { XCTAssertTrue("\($0)".contains("nowhere")) }
        // What the translation writes, libpcap compiles.
        for text in ["!(dst net corp_net)", "udp portrange 1000-2000 or icmp", "ip[8] & 0xf0 > 16", "len >= 100 and not vlan"] {
            let pcap = try XCTUnwrap(try translate(text).pcap)
            XCTAssertNoThrow(try BPFFilter(pcap), pcap)
        }
    }

    func testTheExamplesCompileIntoConsistentE2DConfigurations() throws {
        for policy in ["fig13-bng.e2", "fig14-nat-fw-proxy.e2", "fig2-ids.e2", "fig16-ratelimiter.e2"] {
            let planned = try Self.plan(policy)
            let compiler = ServerWiringCompiler(addresses: planned.context.addresses, catalog: planned.catalog, tags: planned.tags,
                                                uplink: .init(name: "uplink", device: "net_null0"), interfacePrefix: "e2l")
            for server in planned.plan.interconnection.servers {
                let wiring = try compiler.compile(server)
                XCTAssertEqual(wiring.configuration.problems(), [], "\(policy) \(server.server)")
                // Every NF port has a vport; every output vport is read by an input module.
                let vports = Set(wiring.configuration.vports.map(\.name))
                for instance in wiring.instances {
                    XCTAssertEqual(Set(instance.inputs.values).union(instance.outputs.values).subtracting(vports), [])
                    for vport in instance.outputs.values {
                        XCTAssertTrue(wiring.configuration.modules.contains { $0.type == .input && $0.port == vport }, "\(policy): \(vport) is read")
                    }
                }
                // Every service path arriving here is steered to a decapsulation.
                let steer = wiring.configuration.modules.first { $0.type == .nshSteer }
                XCTAssertEqual(steer?.servicePaths ?? [], server.arrivals.map(\.servicePath))
            }
        }
    }
}

/// The switch's part of the plans, as `e2 switch` runs it.
final class SwitchWiringTests: XCTestCase {
    func testTheExamplesCompileIntoASwitchConfiguration() throws {
        for policy in ["fig13-bng.e2", "fig14-nat-fw-proxy.e2", "fig2-ids.e2", "fig16-ratelimiter.e2"] {
            let planned = try ServerWiringTests.plan(policy)
            let interconnection = planned.plan.interconnection
            var numbers = Set(planned.context.portGroups.values.flatMap { $0 })
            numbers.formUnion(interconnection.servers.map(\.switchPort))
            let ports = Dictionary(uniqueKeysWithValues: numbers.map { ($0, DataplaneConfiguration.Port(name: "p\($0)", device: "net_null\($0)")) })
            let compiler = SwitchWiringCompiler(context: planned.context, catalog: planned.catalog, tags: planned.tags, ports: ports)
            let configuration = try compiler.compile(interconnection)
            XCTAssertEqual(configuration.problems(), [], policy)
            // Every ingress rule's service path is encapsulated somewhere, every server port is read.
            let encapsulated = Set(configuration.modules.filter { $0.type == .nshEncap }.compactMap(\.servicePath))
            XCTAssertEqual(encapsulated, Set(interconnection.switchRules.filter { $0.match == .ingress }.compactMap(\.encapsulate)), policy)
            for server in interconnection.servers {
                XCTAssertTrue(configuration.modules.contains { $0.type == .input && $0.port == "p\(server.switchPort)" }, policy)
            }
        }
    }

    func testPortsWithoutDevicesAreNamed() throws {
        let planned = try ServerWiringTests.plan("fig13-bng.e2")
        let compiler = SwitchWiringCompiler(context: planned.context, catalog: planned.catalog, tags: planned.tags, ports: [:])
        XCTAssertThrowsError(try compiler.compile(planned.plan.interconnection)) { XCTAssertTrue("\($0)".contains("has no device"), "\($0)") }
    }
}
