import Foundation
import XCTest

/// Agents register and heartbeat; when one falls silent the manager reports the failure on
/// /v1/events and /v1/status, plans without its server, and takes it back when it returns.
final class AgentFailureTests: XCTestCase {
    func testASilentAgentIsDeclaredFailedItsServerLeftOutAndTakenBackWhenItReturns() throws {
        let (manager, url, _) = try ManagerCommandTests.startManager(["--heartbeat-timeout", "1"])
        defer { kill(manager.processIdentifier, SIGTERM); manager.waitUntilExit() }
        let examples = RuntimePackagesTests.root.appendingPathComponent("examples").path
        @Sendable func call(_ method: String, _ path: String, json: String? = nil, file: String? = nil, type: String = "application/json") throws -> (status: Int, body: String) {
            var arguments = ["-X", method, url + path]
            if let json { arguments += ["-H", "Content-Type: \(type)", "--data-binary", json] }
            if let file { arguments += ["-H", "Content-Type: \(type)", "--data-binary", "@\(file)"] }
            return try Curl.request(arguments)
        }
        XCTAssertEqual(try call("PUT", "/v1/nf-types", file: "\(examples)/nfs.json").status, 200)
        // Three servers: fig13 at its 7.2 Gbps needs ten NF cores, which two of them still hold.
        XCTAssertEqual(try call("PUT", "/v1/hardware", json: """
            {"switch": {"ports": 16, "portGbps": 10, "flowTableEntries": 1024, "ruleUpdateMs": 1, "actions": ["forward", "flowIdRange", "encap"]},
             "servers": [{"name": "server1", "cores": 8, "ghz": 2.6, "nicGbps": 10, "switchPort": 8, "dataplaneCores": 1},
                         {"name": "server2", "cores": 8, "ghz": 2.6, "nicGbps": 10, "switchPort": 9, "dataplaneCores": 1},
                         {"name": "server3", "cores": 8, "ghz": 2.6, "nicGbps": 10, "switchPort": 10, "dataplaneCores": 1}]}
            """).status, 201)
        XCTAssertEqual(try call("POST", "/v1/pipelets", file: "\(examples)/fig13-bng.e2", type: "text/x-e2-policy").status, 201)

        // Bad registrations are refused with the path of the problem.
        let bad = try call("POST", "/v1/agents", json: #"{"name": "no spaces", "cores": 0, "switchPort": 8}"#)
        XCTAssertEqual(bad.status, 422)
        XCTAssertTrue(bad.body.contains("$.name"), bad.body)
        XCTAssertEqual(try call("POST", "/v1/agents", json: #"{"name": "server1", "cores": 4, "switchPort": 8, "extra": 1}"#).status, 422)
        XCTAssertEqual(try call("PUT", "/v1/agents/nobody/heartbeat").status, 404)

        XCTAssertEqual(try call("POST", "/v1/agents", json: #"{"name": "server1", "cores": 4, "switchPort": 8}"#).status, 201)
        XCTAssertEqual(try call("POST", "/v1/agents", json: #"{"name": "server2", "cores": 4, "switchPort": 9}"#).status, 201)
        XCTAssertEqual(try call("POST", "/v1/agents", json: #"{"name": "server3", "cores": 4, "switchPort": 10}"#).status, 201)
        XCTAssertEqual(try call("POST", "/v1/agents", json: #"{"name": "server2", "cores": 4, "switchPort": 9}"#).status, 200, "registering again is idempotent")
        func servers() throws -> [String: [String: Any]] {
            let status = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try call("GET", "/v1/status").body.utf8)) as? [String: Any])
            let list = try XCTUnwrap(status["servers"] as? [[String: Any]])
            return Dictionary(uniqueKeysWithValues: list.map { ($0["name"] as! String, $0) })
        }
        let before = try servers()
        XCTAssertEqual(before["server1"]?["state"] as? String, "alive")
        XCTAssertFalse((before["server2"]?["instances"] as? [String] ?? []).isEmpty, "the plan uses server2")

        // server1 keeps beating; server2 falls silent.
        let beatURLs = ["server1", "server3"].map { url + "/v1/agents/\($0)/heartbeat" }
        let beating = Thread {
            while !Thread.current.isCancelled {
                for beat in beatURLs { _ = try? Curl.request(["-X", "PUT", beat]) }
                usleep(200_000)
            }
        }
        beating.start()
        defer { beating.cancel() }
        _ = try call("PUT", "/v1/agents/server2/heartbeat")
        let silent = Date()
        let reader = """
            import sys, urllib.request, json
            request = urllib.request.Request(sys.argv[1] + "/v1/events", headers={"Last-Event-ID": "0"})
            with urllib.request.urlopen(request, timeout=15) as stream:
                kind = None
                for raw in stream:
                    line = raw.decode().rstrip("\\n")
                    if line.startswith("event:"): kind = line[6:].strip()
                    if line.startswith("data:") and kind == sys.argv[2]:
                        print(line[5:].strip(), flush=True); break
            """
        let python = RuntimePackagesTests.root.appendingPathComponent(".venv/bin/python").path
        let failure = try ToolOutput.of(python, ["-c", reader, url, "failure"], requiringSuccess: true)
        let detected = Date().timeIntervalSince(silent)
        let event = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(failure.utf8)) as? [String: String], failure)
        XCTAssertEqual(event["agent"], "server2")
        XCTAssertEqual(event["kind"], "agentFailed")
        XCTAssertLessThan(detected, 10, "reported long after the timeout")
        print("agent failure reported \(String(format: "%.2f", detected)) s after its last heartbeat (timeout 1 s)")
        let after = try servers()
        XCTAssertEqual(after["server2"]?["state"] as? String, "failed")
        XCTAssertEqual(after["server2"]?["instances"] as? [String], [], "no instance on the failed server")
        XCTAssertEqual(after["server1"]?["state"] as? String, "alive")
        XCTAssertEqual((after["server1"]?["instances"] as? [String] ?? []).count + (after["server3"]?["instances"] as? [String] ?? []).count, 10,
                       "all ten instances on the two servers left")
        for name in ["server1", "server3"] {
            XCTAssertTrue(Set(before[name]?["instances"] as? [String] ?? []).isSubset(of: Set(after[name]?["instances"] as? [String] ?? [])),
                          "incremental placement: instances of \(name) stayed where they were")
        }
        let metrics = try call("GET", "/metrics").body
        XCTAssertTrue(metrics.contains(#"e2_agents{state="failed"} 1"#), metrics)
        XCTAssertTrue(metrics.contains(#"e2_agent_heartbeat_age_seconds{agent="server2"}"#))

        // Events an agent relays from its E2D are published; bad ones are refused.
        XCTAssertEqual(try call("POST", "/v1/agents/server1/events", json: #"{"kind": "overload", "vport": "nat_0-in", "detail": "occupancy 0.93"}"#).status, 202)
        XCTAssertEqual(try call("POST", "/v1/agents/server1/events", json: #"{"kind": "meltdown"}"#).status, 422)
        XCTAssertEqual(try call("POST", "/v1/agents/nobody/events", json: #"{"kind": "overload"}"#).status, 404)
        let overload = try ToolOutput.of(python, ["-c", reader, url, "overload"], requiringSuccess: true)
        XCTAssertTrue(overload.contains("nat_0-in") && overload.contains("server1"), overload)

        // It comes back.
        XCTAssertEqual(try call("PUT", "/v1/agents/server2/heartbeat").status, 204)
        let recovery = try ToolOutput.of(python, ["-c", reader, url, "recovery"], requiringSuccess: true)
        XCTAssertTrue(recovery.contains("server2"), recovery)
        XCTAssertEqual(try servers()["server2"]?["state"] as? String, "alive")
    }
}
