import E2Cluster
import E2Dataplane
import Foundation
import XCTest

/// E2D's control socket under traffic: steering changed while packets flow loses none and
/// keeps pinned flows on their instance; overload and stalls are reported; bad requests
/// change nothing.
final class DataplaneControlTests: XCTestCase {
    func testRuleChangesAndASplitUnderTrafficLoseNoPacketAndExceptionsKeepPinnedFlowsWhereTheyWere() throws {
        let e2d = try RunningDataplane(configuration: """
            {"ports": [{"name": "b", "device": "net_pcap_b", "args": "rx_pcap=DIR/empty.pcap,tx_pcap=DIR/b.pcap"},
                       {"name": "c", "device": "net_pcap_c", "args": "rx_pcap=DIR/empty.pcap,tx_pcap=DIR/c.pcap"}],
             "vports": [{"name": "a", "kind": "native", "ringSize": 4096}],
             "modules": [{"name": "rx", "type": "input", "port": "a"},
                         {"name": "udp", "type": "classifier", "gates": 2, "rules": [{"filter": "udp", "gate": 0}], "defaultGate": 1},
                         {"name": "steer", "type": "flowSteer", "gates": 2, "fields": ["src_port"], "ranges": [{"lower": 0, "upper": 65535, "gate": 0}]},
                         {"name": "toB", "type": "output", "port": "b"}, {"name": "toC", "type": "output", "port": "c"}, {"name": "other", "type": "drop"}],
             "links": [{"from": "rx", "to": "udp"}, {"from": "udp:0", "to": "steer"}, {"from": "udp:1", "to": "other"},
                       {"from": "steer:0", "to": "toB"}, {"from": "steer:1", "to": "toC"}]}
            """, prepare: { try UDPPcap.writeEmpty($0 + "/empty.pcap") })
        let total = 30_000, flows = 64
        let lcore = try XCTUnwrap(try e2d.client.statistics().vports["a"]?.nfLcore)
        let pipe = Pipe()
        let source = try e2d.startNF(["source", "--dataplane", e2d.prefix, "--lcore", String(lcore), "--vport", "a",
                                      "--count", String(total), "--flows", String(flows), "--rate", "20000"], output: pipe)
        // Wait until traffic flows, then split: the first 32 flows are pinned where they are
        // and the ranges move half the flow IDs to gate 1, in one batch.
        var seen: UInt64 = 0
        for _ in 0..<100 where seen < 3_000 {
            usleep(20_000)
            seen = try e2d.client.statistics().modules["rx"]?.packets ?? 0
        }
        XCTAssertGreaterThanOrEqual(seen, 3_000)
        // Classifier rules added and removed one by one while packets flow; every UDP packet
        // must still pass.
        for round in 0..<10 {
            try e2d.client.addRules([.init(filter: "udp and src port \(1024 + round)", gate: 0)], to: "udp", at: 0)
            try e2d.client.addRules([.init(filter: "tcp", gate: 1)], to: "udp")
            try e2d.client.removeRules(["udp and src port \(1024 + round)", "tcp"], from: "udp")
        }
        let pinned = (0..<32).map { 1024 + $0 }
        let pins = pinned.map { FlowSpec(source: "10.0.0.1", destination: "192.0.2.7", sourcePort: $0, destinationPort: 9, proto: 17, gate: 0) }
        try e2d.client.batch([
            ControlRequest(op: .addExceptions, name: "steer", flows: pins),
            ControlRequest(op: .setRanges, name: "steer", ranges: [.init(lower: 0, upper: 32767, gate: 0), .init(lower: 32768, upper: 65535, gate: 1)]),
        ])
        let sent = try RunningDataplane.counts(of: source, pipe)
        XCTAssertEqual(sent["packets"], Double(total))
        UDPPcap.waitUntilStill(e2d.path("c.pcap"))
        let statistics = try e2d.stop()
        XCTAssertEqual((statistics["modules"] as? [String: [String: Any]])?["steer"]?["packets"] as? Int, total)
        XCTAssertEqual((statistics["modules"] as? [String: [String: Any]])?["other"]?["packets"] as? Int, 0)

        // Read both outputs back with tshark: source port per packet.
        func ports(_ file: String) throws -> [Int] {
            try ToolOutput.of("/usr/bin/tshark", ["-r", e2d.path(file), "-T", "fields", "-e", "udp.srcport"]).split(separator: "\n").compactMap { Int($0) }
        }
        let toB = try ports("b.pcap"), toC = try ports("c.pcap")
        XCTAssertEqual(toB.count + toC.count, total, "every packet left by one of the two gates")
        XCTAssertTrue(Set(toC).isDisjoint(with: pinned), "pinned flows stayed on gate 0")
        func flowID(_ port: Int) -> UInt16 {
            var key = FlowKey()
            key.sourcePort = UInt16(port)
            return key.flowID(over: [.sourcePort])
        }
        let unpinned = (1024 + 32)..<(1024 + flows)
        let moving = Set(unpinned.filter { flowID($0) >= 32768 })
        XCTAssertFalse(moving.isEmpty)
        XCTAssertEqual(Set(toC), moving, "new packets of unpinned flows follow the new ranges")
    }

    func testAVportNobodyReadsIsReportedOverloadedAndStalledThenRecovered() throws {
        let e2d = try RunningDataplane(configuration: """
            {"vports": [{"name": "a", "kind": "native"}, {"name": "b", "kind": "native", "ringSize": 64}],
             "modules": [{"name": "rx", "type": "input", "port": "a"}, {"name": "tx", "type": "output", "port": "b"}],
             "links": [{"from": "rx", "to": "tx"}],
             "monitor": {"intervalMillis": 50, "samples": 2, "stallMillis": 200}}
            """)
        let events = try DataplaneControlClient(path: e2d.socketPath)
        try events.subscribe()
        let vports = try e2d.client.statistics().vports
        let (sourceLcore, sinkLcore) = (try XCTUnwrap(vports["a"]?.nfLcore), try XCTUnwrap(vports["b"]?.nfLcore))
        let source = try e2d.startNF(["source", "--dataplane", e2d.prefix, "--lcore", String(sourceLcore), "--vport", "a", "--rate", "5000"])
        defer { kill(source.processIdentifier, SIGKILL); source.waitUntilExit() }

        func waitFor(_ kinds: Set<DataplaneEvent.Kind>) throws -> [DataplaneEvent] {
            var got: [DataplaneEvent] = []
            for _ in 0..<40 where !kinds.isSubset(of: Set(got.filter { $0.vport == "b" }.map(\.kind))) {
                if let event = try events.nextEvent(timeout: 0.25) { got.append(event) }
            }
            return got.filter { $0.vport == "b" }
        }
        let trouble = try waitFor([.overload, .vportStalled])
        XCTAssertEqual(Set(trouble.map(\.kind)), [.overload, .vportStalled])
        XCTAssertGreaterThan(trouble.first { $0.kind == .overload }?.occupancy ?? 0, 0.8)
        XCTAssertTrue(try e2d.client.statistics().vports["b"]?.overloaded ?? false)

        // An NF starts reading b: the vport recovers.
        let sinkOutput = Pipe()
        let sink = try e2d.startNF(["sink", "--dataplane", e2d.prefix, "--lcore", String(sinkLcore), "--vport", "b"], output: sinkOutput)
        let recovery = try waitFor([.overloadCleared, .vportRecovered])
        XCTAssertEqual(Set(recovery.map(\.kind)), [.overloadCleared, .vportRecovered])
        kill(sink.processIdentifier, SIGKILL)
        sink.waitUntilExit()
        let gone = try waitFor([.nfGone])
        XCTAssertEqual(gone.first { $0.kind == .nfGone }?.pid, sink.processIdentifier)
        _ = try e2d.stop()
    }

    func testBadRequestsGetClearErrorsAndChangeNothing() throws {
        let e2d = try RunningDataplane(configuration: """
            {"ports": [{"name": "null", "device": "net_null0"}],
             "modules": [{"name": "rx", "type": "input", "port": "null"},
                         {"name": "cls", "type": "classifier", "gates": 2, "rules": [{"filter": "tcp", "gate": 0}], "defaultGate": 1},
                         {"name": "sink", "type": "drop"}],
             "links": [{"from": "rx", "to": "cls"}, {"from": "cls:0", "to": "sink"}, {"from": "cls:1", "to": "sink"}]}
            """)
        let before = try e2d.client.configuration()
        let refused: [(ControlRequest, String)] = [
            (ControlRequest(op: .addModule, module: ModuleSpec(name: "c2", type: .classifier)), "needs a number of gates"),
            (ControlRequest(op: .addRules, name: "cls", rules: [.init(filter: "tcp port", gate: 0)]), "tcp port"),
            (ControlRequest(op: .addRules, name: "cls", rules: [.init(filter: "udp", gate: 5)]), "gate 5"),
            (ControlRequest(op: .addLink, link: LinkSpec(from: "sink", to: "cls")), "0 gates"),
            (ControlRequest(op: .addLink, link: LinkSpec(from: "cls:0", to: "rx")), "already linked"),
            (ControlRequest(op: .removeModule, name: "nothing"), "no module named"),
            (ControlRequest(op: .addVport, vport: VportSpec(name: "x", kind: .legacy)), "interface"),
            (ControlRequest(op: .removeRules, name: "cls", filters: ["udp"]), "no rule"),
            (ControlRequest(op: .addExceptions, name: "cls", flows: []), "not a flowSteer"),
            // All or nothing: the first request of the batch is fine, the second is not.
            (ControlRequest(op: .batch, requests: [ControlRequest(op: .addRules, name: "cls", rules: [.init(filter: "udp", gate: 0)]),
                                                   ControlRequest(op: .addLink, link: LinkSpec(from: "cls:7", to: "sink"))]), "no gate 7"),
            // A cycle: a counter fed by the classifier that feeds the classifier.
            (ControlRequest(op: .batch, requests: [ControlRequest(op: .addModule, module: ModuleSpec(name: "loop", type: .counter)),
                                                   ControlRequest(op: .removeLink, name: "cls:1"),
                                                   ControlRequest(op: .addLink, link: LinkSpec(from: "cls:1", to: "loop")),
                                                   ControlRequest(op: .addLink, link: LinkSpec(from: "loop", to: "cls"))]), "cycle"),
        ]
        for (request, expected) in refused {
            let response = try e2d.client.request(request)
            XCTAssertFalse(response.ok, "\(request.op.rawValue) was accepted")
            XCTAssertTrue(response.error?.contains(expected) ?? false, "\(request.op.rawValue): \(response.error ?? "no error")")
        }
        // Garbage on the socket: an error line, and the connection still answers.
        let replies = try ToolOutput.of("/usr/bin/python3", ["-c", """
            import socket, sys
            s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
            s.sendall(b'{not json\\n{"op": "fly"}\\n{"op": "stats", "id": 3, "extra": 1}\\n{"op": "graph", "id": 4}\\n')
            data = b""
            while data.count(b"\\n") < 4: data += s.recv(65536)
            print(data.decode())
            """, e2d.socketPath], requiringSuccess: true).split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(replies.count, 4)
        XCTAssertEqual(replies.map { $0["ok"] as? Bool }, [false, false, false, true])
        XCTAssertTrue((replies[1]["error"] as? String)?.contains("fly") ?? false)
        XCTAssertTrue((replies[2]["error"] as? String)?.contains("unknown field \"extra\"") ?? false)
        XCTAssertEqual(replies[2]["id"] as? Int, 3)
        XCTAssertEqual(try e2d.client.configuration(), before)

        // A good change takes effect and reports how long the dataplane took to apply it.
        let micros = try e2d.client.addRules([.init(filter: "udp port 53", gate: 1)], to: "cls", at: 0)
        XCTAssertGreaterThan(micros, 0)
        XCTAssertEqual(try e2d.client.configuration().modules.first { $0.name == "cls" }?.rules?.first?.filter, "udp port 53")
        _ = try e2d.stop()
    }
}

/// Migration avoidance in E2D (§5.4): a flowSteer module that remembers its flows keeps them on
/// their gate when its ranges change or when it is rebuilt with more gates, while new flows
/// follow the new ranges.
final class MigrationAvoidanceTests: XCTestCase {
    func flowID(_ port: Int) -> UInt16 {
        var key = FlowKey()
        key.sourcePort = UInt16(port)
        return key.flowID(over: [.sourcePort])
    }

    func testActiveFlowsKeepTheirInstanceAcrossASplitAndNewFlowsFollowTheNewRanges() throws {
        let e2d = try RunningDataplane(configuration: """
            {"ports": [{"name": "b", "device": "net_pcap_b", "args": "rx_pcap=DIR/empty.pcap,tx_pcap=DIR/b.pcap"},
                       {"name": "c", "device": "net_pcap_c", "args": "rx_pcap=DIR/empty.pcap,tx_pcap=DIR/c.pcap"},
                       {"name": "d", "device": "net_pcap_d", "args": "rx_pcap=DIR/empty.pcap,tx_pcap=DIR/d.pcap"}],
             "vports": [{"name": "a", "kind": "native", "ringSize": 4096}],
             "modules": [{"name": "rx", "type": "input", "port": "a"},
                         {"name": "steer", "type": "flowSteer", "gates": 2, "fields": ["src_port"], "migrationAvoidance": true,
                          "ranges": [{"lower": 0, "upper": 65535, "gate": 0}]},
                         {"name": "toB", "type": "output", "port": "b"}, {"name": "toC", "type": "output", "port": "c"}, {"name": "toD", "type": "output", "port": "d"}],
             "links": [{"from": "rx", "to": "steer"}, {"from": "steer:0", "to": "toB"}, {"from": "steer:1", "to": "toC"}]}
            """, prepare: { try UDPPcap.writeEmpty($0 + "/empty.pcap") })
        let lcore = try XCTUnwrap(try e2d.client.statistics().vports["a"]?.nfLcore)
        func send(count: Int, portBase: Int) throws -> Process {
            try e2d.startNF(["source", "--dataplane", e2d.prefix, "--lcore", String(lcore), "--vport", "a", "--count", String(count),
                             "--flows", "64", "--port-base", String(portBase), "--rate", "20000"])
        }
        // Old flows (ports 1024-1087) run; the ranges split while they do.
        let old = try send(count: 6000, portBase: 1024)
        for _ in 0..<100 where (try e2d.client.statistics().modules["rx"]?.packets ?? 0) < 1000 { usleep(20_000) }
        try e2d.client.setRanges([.init(lower: 0, upper: 32767, gate: 0), .init(lower: 32768, upper: 65535, gate: 1)], of: "steer")
        old.waitUntilExit()
        let moving = (1024..<1088).filter { flowID($0) >= 32768 }
        XCTAssertEqual(try e2d.client.statistics().modules["steer"]?.figures["pinned"], Double(moving.count), "every old flow the split would move was pinned")

        // New flows (ports 3000-3063) follow the new ranges.
        let new = try send(count: 2000, portBase: 3000)
        new.waitUntilExit()

        // The module is rebuilt with a third gate (the NF gains another instance): it takes over
        // the flows it had, mapped by where its gates lead, and pins those that would move.
        let running = try e2d.client.configuration()
        var wanted = running
        let index = try XCTUnwrap(wanted.modules.firstIndex { $0.name == "steer" })
        wanted.modules[index].gates = 3
        wanted.modules[index].ranges = [.init(lower: 0, upper: 21844, gate: 0), .init(lower: 21845, upper: 43689, gate: 1), .init(lower: 43690, upper: 65535, gate: 2)]
        wanted.links.append(LinkSpec(from: "steer:2", to: "toD"))
        try e2d.client.batch(try XCTUnwrap(ConfigurationDiff.requests(from: running, to: wanted)))
        let figures = try XCTUnwrap(try e2d.client.statistics().modules["steer"]?.figures)
        XCTAssertEqual(figures["activeFlows"], 128, "the rebuilt module knows the 128 active flows")
        let oldGate = { (port: Int) -> Int in (1024..<1088).contains(port) ? 0 : (self.flowID(port) >= 32768 ? 1 : 0) }
        let newGate = { (port: Int) -> Int in self.flowID(port) <= 21844 ? 0 : (self.flowID(port) <= 43689 ? 1 : 2) }
        let movedByRebuild = (Array(1024..<1088) + Array(3000..<3064)).filter { oldGate($0) != newGate($0) }.count
        XCTAssertEqual(figures["pinned"], Double(movedByRebuild), "the flows the new ranges would move are pinned")
        UDPPcap.waitUntilStill(e2d.path("b.pcap"))
        _ = try e2d.stop()

        func ports(_ file: String) throws -> Set<Int> {
            Set(try ToolOutput.of("/usr/bin/tshark", ["-r", e2d.path(file), "-T", "fields", "-e", "udp.srcport"]).split(separator: "\n").compactMap { Int($0) })
        }
        let toB = try ports("b.pcap"), toC = try ports("c.pcap")
        XCTAssertTrue(toC.isDisjoint(with: 1024..<1088), "old flows stayed on their instance")
        XCTAssertEqual(toC, Set((3000..<3064).filter { flowID($0) >= 32768 }), "new flows follow the new ranges")
        XCTAssertTrue(Set(1024..<1088).isSubset(of: toB))
    }
}
