import CAllocationCounter
import CE2DPDK
@testable import E2Dataplane
import E2Engine
import XCTest

/// The module graph as the dataplane thread runs it: bursts split by gate, counted, copied
/// by a tee, dropped at unlinked gates; no heap allocation per packet; counters survive a
/// relink; configuration problems are named.
final class GraphRuntimeTests: XCTestCase {
    /// classifier (udp -> 0, else 1) -> 0: tag -> steer (2 gates by src port) -> 0: encap -> tee(2) -> drop, drop;
    /// steer:1 -> counter -> (unlinked); classifier:1 -> drop.
    func makeRuntime() throws -> (GraphRuntime, ModuleContext) {
        let pool = try TestEAL.pool()
        let tags = try MetadataTags()
        let specs: [ModuleSpec] = [
            ModuleSpec(name: "cls", type: .classifier, rules: [.init(filter: "udp", gate: 0)], gates: 2, defaultGate: 1),
            ModuleSpec(name: "tag", type: .tagSet, slot: 1, value: 9),
            ModuleSpec(name: "steer", type: .flowSteer, gates: 2, fields: ["src_port"], ranges: [.init(lower: 0, upper: 32767, gate: 0), .init(lower: 32768, upper: 65535, gate: 1)]),
            ModuleSpec(name: "encap", type: .nshEncap, servicePath: 1, serviceIndex: 255),
            ModuleSpec(name: "tee", type: .tee, gates: 2),
            ModuleSpec(name: "count", type: .counter),
            ModuleSpec(name: "sink", type: .drop),
            ModuleSpec(name: "sink2", type: .drop),
        ]
        let links = [LinkSpec(from: "cls:0", to: "tag"), LinkSpec(from: "cls:1", to: "sink"), LinkSpec(from: "tag", to: "steer"),
                     LinkSpec(from: "steer:0", to: "encap"), LinkSpec(from: "steer:1", to: "count"), LinkSpec(from: "encap", to: "tee"),
                     LinkSpec(from: "tee:0", to: "sink"), LinkSpec(from: "tee:1", to: "sink2")]
        let configuration = DataplaneConfiguration(ports: [], modules: specs, links: links)
        XCTAssertEqual(configuration.problems(), [])
        let modules: [String: any PacketModule] = [
            "cls": ClassifierModule(gates: 2, rules: [(try BPFFilter("udp"), 0)], defaultGate: 1),
            "tag": TagSetModule(slot: 1, value: 9),
            "steer": FlowSteerModule(steering: try FlowSteering(fields: [.sourcePort], ranges: [.init(lower: 0, upper: 32767, gate: 0), .init(lower: 32768, upper: 65535, gate: 1)]), gates: 2),
            "encap": NSHEncapModule(destination: [2, 0, 0, 0, 0, 2], source: [2, 0, 0, 0, 0, 1], servicePath: 1, serviceIndex: 255),
            "tee": TeeModule(gates: 2), "count": CounterModule(), "sink": DropModule(), "sink2": DropModule(),
        ]
        let runtime = GraphRuntime(configuration: configuration, modules: modules, vports: [:], monitors: [:])
        return (runtime, ModuleContext(tags: tags, now: 1, ticksPerSecond: 1_000_000_000, pool: pool.pointer))
    }

    func node(_ runtime: GraphRuntime, _ name: String) -> GraphNode { runtime.nodes.first { $0.name == name }! }

    func testBurstsAreSplitByGateCopiedByTheTeeAndEveryPacketIsAccountedFor() throws {
        let (runtime, context) = try makeRuntime()
        let pool = try TestEAL.pool()
        let available = pool.available
        var burst = PacketBurst(capacity: 32)
        let entry = runtime.nodes.firstIndex { $0.name == "cls" }!
        var expectedSteer = [0, 0]
        for round in 0..<20 {
            XCTAssertTrue(burst.allocate(32, from: pool))
            for index in 0..<32 {
                let port = UInt16(1000 + round * 32 + index)
                _ = PacketBytes.fillUDP(burst[index], sourcePort: port, destinationPort: 53)
                if index % 4 == 0 { _ = PacketBytes.setByte(burst[index], at: 23, to: 6) }  // TCP: the classifier's default gate
                else {
                    var key = FlowKey()
                    key.sourcePort = port
                    expectedSteer[key.flowID(over: [.sourcePort]) >= 32768 ? 1 : 0] += 1
                }
            }
            runtime.push(entry, &burst, context: context)
            XCTAssertEqual(burst.count, 0)
        }
        XCTAssertEqual((0..<2).map { node(runtime, "cls").gateCounts[$0] }, [480, 160])
        XCTAssertEqual((0..<2).map { Int(node(runtime, "steer").gateCounts[$0]) }, expectedSteer)
        XCTAssertEqual(node(runtime, "sink2").packets, UInt64(expectedSteer[0]), "the tee's copies")
        XCTAssertEqual(node(runtime, "sink").packets, UInt64(160 + expectedSteer[0]))
        XCTAssertEqual(node(runtime, "count").unlinkedDrops, UInt64(expectedSteer[1]), "the counter's gate is not linked")
        XCTAssertEqual(runtime.statistics().droppedByPolicy, UInt64(160 + 2 * expectedSteer[0] + expectedSteer[1]))
        XCTAssertEqual(pool.available, available, "every packet and copy went back to the pool")

        // Relinking (a control change) keeps counts of modules that stay.
        var changed = runtime.configuration
        changed.links.removeAll { $0.from == "tee:1" }
        runtime.apply(configuration: changed, replacing: [:])
        XCTAssertEqual(node(runtime, "cls").gateCounts[0], 480)
        XCTAssertEqual(node(runtime, "tee").targets[1], -1)
    }

    func testTheGraphPathAllocatesNothing() throws {
        let (runtime, context) = try makeRuntime()
        let pool = try TestEAL.pool()
        var burst = PacketBurst(capacity: 32)
        let entry = runtime.nodes.firstIndex { $0.name == "cls" }!
        func run(_ rounds: Int) {
            for round in 0..<rounds {
                guard burst.allocate(32, from: pool) else { return }
                for index in 0..<32 { _ = PacketBytes.fillUDP(burst[index], sourcePort: UInt16(truncatingIfNeeded: round * 32 + index), destinationPort: 53) }
                runtime.push(entry, &burst, context: context)
            }
        }
        run(10)
        let before = e2_thread_allocations()
        run(1000)
        XCTAssertEqual(e2_thread_allocations() - before, 0, "heap allocations pushing 32,000 packets through the graph")
    }

    func testConfigurationProblemsAreNamed() throws {
        func problems(_ modules: [ModuleSpec], _ links: [LinkSpec], vports: [VportSpec] = []) -> [String] {
            DataplaneConfiguration(ports: [.init(name: "p", device: "net_null0")], vports: vports, modules: modules, links: links).problems().map(\.description)
        }
        let counter = { (name: String) in ModuleSpec(name: name, type: .counter) }
        XCTAssertTrue(problems([counter("a"), counter("b")], [LinkSpec(from: "a", to: "b"), LinkSpec(from: "b", to: "a")]).first?.contains("cycle: a -> b -> a") ?? false)
        XCTAssertTrue(problems([counter("a")], [LinkSpec(from: "a:1", to: "a")]).first?.contains("no gate 1") ?? false)
        XCTAssertTrue(problems([counter("a")], [LinkSpec(from: "a", to: "zz")]).first?.contains("no module named \"zz\"") ?? false)
        XCTAssertTrue(problems([counter("a"), counter("a")], []).first?.contains("used twice") ?? false)
        XCTAssertTrue(problems([ModuleSpec(name: "in", type: .input, port: "q")], []).first?.contains("no port or vport named \"q\"") ?? false)
        XCTAssertTrue(problems([ModuleSpec(name: "i1", type: .input, port: "p"), ModuleSpec(name: "i2", type: .input, port: "p")], []).first?.contains("already read") ?? false)
        XCTAssertTrue(problems([ModuleSpec(name: "in", type: .input, port: "p"), counter("a")], [LinkSpec(from: "a", to: "in")]).first?.contains("is an input") ?? false)
        XCTAssertTrue(problems([ModuleSpec(name: "s", type: .flowSteer, gates: 1, fields: ["src_ip"], ranges: [.init(lower: 0, upper: 100, gate: 0)])], []).first?.contains("101-65535 is not covered") ?? false)
        XCTAssertTrue(problems([], [], vports: [VportSpec(name: "v", kind: .legacy, interface: "much-too-long-name")]).first?.contains("1-13") ?? false)
        XCTAssertTrue(problems([], [], vports: [VportSpec(name: "v", kind: .native, ringSize: 1000)]).first?.contains("power of two") ?? false)
    }
}
