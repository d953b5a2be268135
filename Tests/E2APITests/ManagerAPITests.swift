import E2API
import Foundation
import XCTest

/// The manager's resources, through the router, on a real SQLite file.
final class ManagerAPITests: XCTestCase {
    var directory: URL!
    var api: ManagerAPI!

    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples")

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("e2-store-\(UUID().uuidString)")
        api = ManagerAPI(store: try ManagerStore(directory: directory.path))
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    func send(_ method: String, _ target: String, _ body: String = "", type: String? = nil, headers: [(String, String)] = []) -> HTTPResponse {
        var all: [(name: String, value: String)] = [("Host", "localhost")]
        if let type { all.append(("Content-Type", type)) }
        all += headers.map { (name: $0.0, value: $0.1) }
        return api.respond(HTTPRequest(method: method, target: target, headers: all, body: Array(body.utf8)))
    }

    func example(_ name: String) throws -> String {
        try String(contentsOf: Self.examples.appendingPathComponent(name), encoding: .utf8)
    }

    func json(_ response: HTTPResponse) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    func loadDescriptions() throws {
        XCTAssertEqual(send("PUT", "/v1/nf-types", try example("nfs.json"), type: "application/json").status, 200)
        XCTAssertEqual(send("PUT", "/v1/hardware", try example("hardware-paper-testbed.json"), type: "application/json").status, 201)
    }

    func testDescriptionsPolicyAndPlanEndToEnd() throws {
        try loadDescriptions()
        let created = send("POST", "/v1/pipelets", try example("fig13-bng.e2"), type: "text/x-e2-policy")
        XCTAssertEqual(created.status, 201, String(decoding: created.body, as: UTF8.self))
        XCTAssertEqual(created.header("Location"), "/v1/pipelets/1")
        XCTAssertNotNil(created.header("ETag"))
        let graph = try json(send("GET", "/v1/pgraph"))
        XCTAssertEqual((graph["edges"] as? [Any])?.count, 8)
        XCTAssertTrue(String(decoding: send("GET", "/v1/pgraph?format=dot").body, as: UTF8.self).hasPrefix("digraph pgraph"))
        let plan = try json(send("POST", "/v1/plan", #"{"strategy": "packing"}"#, type: "application/json"))
        XCTAssertEqual((plan["instances"] as? [Any])?.count, 10)
        XCTAssertEqual(plan["strategy"] as? String, "packing")
        XCTAssertNotNil(try json(send("GET", "/v1/placement"))["switchRules"])
    }

    func testAnInvalidPolicyIs422WithDiagnosticsAndChangesNothing() throws {
        try loadDescriptions()
        let text = try example("fig14-nat-fw-proxy.e2").split(separator: "\n").filter { !$0.contains("-> Drop;  //") }.joined(separator: "\n")
        let refused = send("POST", "/v1/pipelets", text, type: "text/x-e2-policy")
        XCTAssertEqual(refused.status, 422)
        XCTAssertEqual(refused.header("Content-Type"), "application/problem+json")
        let problem = try json(refused)
        let diagnostics = try XCTUnwrap(problem["diagnostics"] as? [[String: Any]])
        XCTAssertEqual(diagnostics.first?["code"] as? String, "missing-destination")
        XCTAssertEqual((diagnostics.first?["witness"] as? [String: String])?["ingress"], "ext")
        XCTAssertEqual((try json(send("GET", "/v1/pipelets"))["pipelets"] as? [Any])?.count, 0, "nothing was stored")
    }

    func testPolicyJSONFormIsAccepted() throws {
        try loadDescriptions()
        let json = #"{"declarations": [{"name": "n", "type": "NAT"}, {"name": "a", "ports": [0, 1]}, {"name": "b", "ports": [2, 3]}], "pipelets": [{"edges": [{"from": "a", "to": "n"}, {"from": "n", "to": "b"}]}]}"#
        let created = send("POST", "/v1/pipelets", json, type: "application/json")
        XCTAssertEqual(created.status, 201, String(decoding: created.body, as: UTF8.self))
        let text = String(decoding: send("GET", "/v1/pipelets/1", headers: [("Accept", "text/x-e2-policy")]).body, as: UTF8.self)
        XCTAssertTrue(text.contains("  a -> n;"), text)
    }

    func testConditionalRequestsUseETags() throws {
        try loadDescriptions()
        let current = try XCTUnwrap(send("GET", "/v1/hardware").header("ETag"))
        let stale = send("PUT", "/v1/hardware", try example("hardware-rack24.json"), type: "application/json", headers: [("If-Match", "\"999\"")])
        XCTAssertEqual(stale.status, 412)
        XCTAssertEqual(send("GET", "/v1/hardware").header("ETag"), current, "a refused change changes nothing")
        let fresh = send("PUT", "/v1/hardware", try example("hardware-rack24.json"), type: "application/json", headers: [("If-Match", current)])
        XCTAssertEqual(fresh.status, 200)
        XCTAssertNotEqual(fresh.header("ETag"), current)
        // PUT is idempotent: the same document twice leaves the same state.
        XCTAssertEqual(send("PUT", "/v1/hardware", try example("hardware-rack24.json"), type: "application/json").status, 200)
        XCTAssertEqual((try json(send("GET", "/v1/hardware"))["servers"] as? [Any])?.count, 24)
    }

    func testBadInputGetsPreciseProblems() throws {
        XCTAssertEqual(send("PUT", "/v1/hardware", "{}", type: "text/plain").status, 415)
        let broken = send("PUT", "/v1/hardware", #"{"switch": {"ports": "x"}}"#, type: "application/json")
        XCTAssertEqual(broken.status, 422)
        XCTAssertEqual(try json(broken)["path"] as? String, "$.switch.ports")
        let wrongName = send("PUT", "/v1/nf-types/NAT", #"{"name": "FW", "api": "native", "inputs": ["in"], "outputs": ["out"], "replicable": true, "affinity": [], "performance": {"gbpsPerCorePerGHz": 1}}"#, type: "application/json")
        XCTAssertEqual(wrongName.status, 422)
        XCTAssertEqual(send("GET", "/v1/pipelets/77").status, 404)
        XCTAssertEqual(send("POST", "/v1/plan").status, 404, "no policy yet")
    }

    func testNFTypesInUseCannotBeDeletedAndDeletesThatBreakThePolicyAreRefused() throws {
        try loadDescriptions()
        XCTAssertEqual(send("POST", "/v1/pipelets", try example("fig13-bng.e2"), type: "text/x-e2-policy").status, 201)
        let inUse = send("DELETE", "/v1/nf-types/VPN")
        XCTAssertEqual(inUse.status, 422)
        XCTAssertTrue(String(decoding: inUse.body, as: UTF8.self).contains("unknown NF type 'VPN'"))
        XCTAssertEqual(send("DELETE", "/v1/nf-types/Proxy").status, 204, "unused types go")
        XCTAssertEqual(send("DELETE", "/v1/pipelets/1").status, 204)
        XCTAssertEqual(send("GET", "/v1/pgraph").status, 404)
    }

    func testStateSurvivesReopening() throws {
        try loadDescriptions()
        XCTAssertEqual(send("POST", "/v1/pipelets", try example("fig2-ids.e2"), type: "text/x-e2-policy").status, 201)
        api = ManagerAPI(store: try ManagerStore(directory: directory.path))
        XCTAssertEqual((try json(send("GET", "/v1/pipelets"))["pipelets"] as? [Any])?.count, 1)
        XCTAssertEqual((try json(send("GET", "/v1/nf-types"))["nfs"] as? [Any])?.count, 9)
    }

    func testTokensGiveRoles() throws {
        let tokens = BearerTokens(controller: ["controller-token-0123456789"], monitor: ["monitor-token-0123456789"])
        api = ManagerAPI(store: try ManagerStore(directory: directory.path), tokens: tokens)
        XCTAssertEqual(send("GET", "/v1/nf-types").status, 401)
        XCTAssertEqual(send("GET", "/v1/nf-types").header("WWW-Authenticate"), "Bearer realm=\"e2\"")
        XCTAssertEqual(send("GET", "/v1/nf-types", headers: [("Authorization", "Bearer wrong-token-0123456789")]).status, 401)
        XCTAssertEqual(send("GET", "/v1/nf-types", headers: [("Authorization", "Bearer monitor-token-0123456789")]).status, 200)
        XCTAssertEqual(send("PUT", "/v1/hardware", try example("hardware-rack24.json"), type: "application/json",
                            headers: [("Authorization", "Bearer monitor-token-0123456789")]).status, 403)
        XCTAssertEqual(send("PUT", "/v1/hardware", try example("hardware-rack24.json"), type: "application/json",
                            headers: [("Authorization", "Bearer controller-token-0123456789")]).status, 201)
        XCTAssertEqual(send("GET", "/healthz").status, 200, "health needs no token")
    }
}
