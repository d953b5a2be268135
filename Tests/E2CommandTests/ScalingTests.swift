import Foundation
import XCTest

/// An overload an agent reports splits the NF (§5.4): one more instance, placed incrementally;
/// no second split within the cooldown.
final class ScalingTests: XCTestCase {
    func testAnOverloadedInstanceSplitsItsNFOnceWithinTheCooldown() throws {
        let (manager, url, _) = try ManagerCommandTests.startManager(["--split-cooldown", "60"])
        defer { kill(manager.processIdentifier, SIGTERM); manager.waitUntilExit() }
        let examples = RuntimePackagesTests.root.appendingPathComponent("examples").path
        func call(_ method: String, _ path: String, json: String? = nil, file: String? = nil, type: String = "application/json") throws -> (status: Int, body: String) {
            var arguments = ["-X", method, url + path]
            if let json { arguments += ["-H", "Content-Type: \(type)", "--data-binary", json] }
            if let file { arguments += ["-H", "Content-Type: \(type)", "--data-binary", "@\(file)"] }
            return try Curl.request(arguments)
        }
        XCTAssertEqual(try call("PUT", "/v1/nf-types", file: "\(examples)/nfs.json").status, 200)
        XCTAssertEqual(try call("PUT", "/v1/hardware", json: """
            {"switch": {"ports": 16, "portGbps": 10, "flowTableEntries": 1024, "ruleUpdateMs": 1, "actions": ["forward", "flowIdRange", "encap"]},
             "servers": [{"name": "server1", "cores": 8, "ghz": 2.6, "nicGbps": 10, "switchPort": 8, "dataplaneCores": 1},
                         {"name": "server2", "cores": 8, "ghz": 2.6, "nicGbps": 10, "switchPort": 9, "dataplaneCores": 1}]}
            """).status, 201)
        XCTAssertEqual(try call("POST", "/v1/pipelets", file: "\(examples)/fig13-bng.e2", type: "text/x-e2-policy").status, 201)
        XCTAssertEqual(try call("POST", "/v1/agents", json: #"{"name": "server1", "cores": 8, "switchPort": 8}"#).status, 201)

        struct Placement: Decodable { struct Instance: Decodable { var id: String; var nf: String; var server: String }; var instances: [Instance] }
        func placement() throws -> [String: String] {
            let decoded = try JSONDecoder().decode(Placement.self, from: Data(try call("GET", "/v1/placement").body.utf8))
            return Dictionary(uniqueKeysWithValues: decoded.instances.map { ($0.id, $0.server) })
        }
        let before = try placement()
        XCTAssertEqual(before.keys.filter { $0.hasPrefix("nat#") }.count, 2)

        XCTAssertEqual(try call("POST", "/v1/agents/server1/events", json: #"{"kind": "overload", "vport": "nat_0-in", "instance": "nat#0", "detail": "occupancy 0.95"}"#).status, 202)
        let after = try placement()
        XCTAssertEqual(after.keys.filter { $0.hasPrefix("nat#") }.count, 3, "nat split into three instances")
        for (instance, server) in before { XCTAssertEqual(after[instance], server, "\(instance) stayed where it was") }
        let events = try Curl.output(["--max-time", "2", "-H", "Last-Event-ID: 0", url + "/v1/events"])
        XCTAssertTrue(events.contains("event: split") && events.contains(#""node":"nat""#), events)

        // Within the cooldown another overload is reported but splits nothing.
        XCTAssertEqual(try call("POST", "/v1/agents/server1/events", json: #"{"kind": "overload", "instance": "nat#2"}"#).status, 202)
        XCTAssertEqual(try placement().keys.filter { $0.hasPrefix("nat#") }.count, 3)

        // The status shows the new instance.
        XCTAssertTrue(try call("GET", "/v1/status").body.contains("nat#2"))
    }
}
