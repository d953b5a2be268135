import E2Cluster
import E2Dataplane
import Foundation
import XCTest

/// A running E2D changed into another configuration through its control socket, with the
/// modules that stay keeping their state.
final class ConfigurationDiffTests: XCTestCase {
    func testADiffTurnsTheRunningGraphIntoTheNewOneAndKeepsWhatStays() throws {
        let before = try DataplaneConfiguration.decode(json: Data("""
            {"ports": [{"name": "null", "device": "net_null0"}],
             "vports": [{"name": "a", "kind": "native"}, {"name": "b", "kind": "native"}],
             "modules": [{"name": "rx", "type": "input", "port": "null"},
                         {"name": "cls", "type": "classifier", "gates": 2, "rules": [{"filter": "tcp", "gate": 0}], "defaultGate": 1},
                         {"name": "steer", "type": "flowSteer", "gates": 2, "fields": ["src_ip"], "ranges": [{"lower": 0, "upper": 65535, "gate": 0}]},
                         {"name": "toA", "type": "output", "port": "a"}, {"name": "toB", "type": "output", "port": "b"}, {"name": "sink", "type": "drop"}],
             "links": [{"from": "rx", "to": "cls"}, {"from": "cls:0", "to": "steer"}, {"from": "cls:1", "to": "sink"},
                       {"from": "steer:0", "to": "toA"}, {"from": "steer:1", "to": "toB"}]}
            """.utf8))
        let after = try DataplaneConfiguration.decode(json: Data("""
            {"ports": [{"name": "null", "device": "net_null0"}],
             "vports": [{"name": "a", "kind": "native"}, {"name": "c", "kind": "native"}],
             "modules": [{"name": "rx", "type": "input", "port": "null"},
                         {"name": "cls", "type": "classifier", "gates": 2, "rules": [{"filter": "udp", "gate": 0}], "defaultGate": 1},
                         {"name": "steer", "type": "flowSteer", "gates": 2, "fields": ["src_ip"], "ranges": [{"lower": 0, "upper": 32767, "gate": 0}, {"lower": 32768, "upper": 65535, "gate": 1}]},
                         {"name": "toA", "type": "output", "port": "a"}, {"name": "toC", "type": "output", "port": "c"}, {"name": "sink", "type": "drop"}],
             "links": [{"from": "rx", "to": "cls"}, {"from": "cls:0", "to": "steer"}, {"from": "cls:1", "to": "sink"},
                       {"from": "steer:0", "to": "toA"}, {"from": "steer:1", "to": "toC"}]}
            """.utf8))
        let text = String(decoding: try JSONEncoder().encode(before), as: UTF8.self)
        let e2d = try RunningDataplane(configuration: text)
        try e2d.client.addExceptions([FlowSpec(source: "10.0.0.1", destination: "10.0.0.2", sourcePort: 1, destinationPort: 2, proto: 6, gate: 1)], to: "steer")
        let lcoreOfA = try XCTUnwrap(try e2d.client.statistics().vports["a"]?.nfLcore)

        let requests = try XCTUnwrap(ConfigurationDiff.requests(from: before, to: after))
        XCTAssertFalse(requests.contains { $0.op == .removeModule && $0.name == "steer" }, "the steering module stays (only its ranges change)")
        try e2d.client.batch(requests)

        let running = try e2d.client.configuration()
        XCTAssertEqual(Set(running.modules.map(\.name)), Set(after.modules.map(\.name)))
        for module in after.modules { XCTAssertEqual(running.modules.first { $0.name == module.name }, module, module.name) }
        XCTAssertEqual(Set(running.links), Set(after.links))
        XCTAssertEqual(Set(running.vports.map(\.name)), ["a", "c"])
        let statistics = try e2d.client.statistics()
        XCTAssertEqual(statistics.modules["steer"]?.figures["exceptions"], 1, "the pinned flow survived")
        XCTAssertEqual(statistics.vports["a"]?.nfLcore, lcoreOfA, "vport a was not recreated")
        XCTAssertNil(ConfigurationDiff.requests(from: before, to: DataplaneConfiguration(ports: [])), "other ports need a restart")
        _ = try e2d.stop()
    }
}
