import Foundation
import XCTest

/// `e2 plan`, run as a process on the shipped examples.
final class PlanCommandTests: XCTestCase {
    static let examples = RuntimePackagesTests.root.appendingPathComponent("examples")
    func example(_ name: String) -> String { Self.examples.appendingPathComponent(name).path }

    func testEveryExamplePlansOnBothHardwareFiles() throws {
        for policy in ["fig2-ids.e2", "fig13-bng.e2", "fig14-nat-fw-proxy.e2", "fig16-ratelimiter.e2"] {
            for hardware in ["hardware-paper-testbed.json", "hardware-rack24.json"] {
                let outcome = try E2Process.run(["plan", "--policy", example(policy), "--nfs", example("nfs.json"), "--hardware", example(hardware)])
                XCTAssertEqual(outcome.status, 0, "\(policy) on \(hardware): \(outcome.standardError)")
                XCTAssertTrue(outcome.standardOutput.contains("Figures\n  switch traffic"), outcome.standardOutput)
            }
        }
    }

    func testJSONHasInstancesEdgesAndFigures() throws {
        let outcome = try E2Process.run(["plan", "--policy", example("fig13-bng.e2"), "--nfs", example("nfs.json"),
                                         "--hardware", example("hardware-paper-testbed.json"), "--format", "json"])
        XCTAssertEqual(outcome.status, 0, outcome.standardError)
        let plan = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any])
        let instances = try XCTUnwrap(plan["instances"] as? [[String: Any]])
        XCTAssertEqual(instances.count, 10)
        XCTAssertTrue(instances.allSatisfy { $0["id"] != nil && $0["nf"] != nil && $0["server"] != nil && $0["cores"] as? Int == 1 })
        let edges = try XCTUnwrap(plan["edges"] as? [[String: Any]])
        XCTAssertTrue(edges.allSatisfy { $0["from"] != nil && $0["to"] != nil && $0["gbps"] != nil })
        let figures = try XCTUnwrap(plan["figures"] as? [String: Any])
        XCTAssertEqual(figures["coresUsed"] as? Int, 10)
        XCTAssertEqual(figures["switchGbps"] as? Double ?? 0, 9.6, accuracy: 1e-9)
        XCTAssertNotNil(figures["maxInputGbps"])
    }

    func testAJSONPGraphPlansWithoutPolicyText() throws {
        let pgraph = #"{"nodes": [{"name": "in", "ports": [0]}, {"name": "out", "ports": [1]}, {"name": "a", "type": "NAT"}, {"name": "b", "type": "FW"}],"# +
            #" "edges": [{"from": "in", "to": "a", "gbps": 5}, {"from": "a", "to": "b", "gbps": 5}, {"from": "b", "to": "out", "gbps": 5}]}"#
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("e2-pgraph-\(UUID().uuidString).json")
        try Data(pgraph.utf8).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let outcome = try E2Process.run(["plan", "--policy", path.path, "--nfs", example("nfs.json"), "--hardware", example("hardware-rack24.json"), "--format", "json"])
        XCTAssertEqual(outcome.status, 0, outcome.standardError)
        let plan = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any])
        XCTAssertEqual((plan["instances"] as? [Any])?.count, 2 + 2, "5 Gbps needs 2 NATs (4.16 each) and 2 FWs (3.12 each)")
    }

    func testDOTRendersWithGraphviz() throws {
        let outcome = try E2Process.run(["plan", "--policy", example("fig2-ids.e2"), "--nfs", example("nfs.json"),
                                         "--hardware", example("hardware-rack24.json"), "--format", "dot"])
        XCTAssertEqual(outcome.status, 0, outcome.standardError)
        XCTAssertTrue(try PolicyCommandTests.graphviz(outcome.standardOutput).contains("cluster_s01"))
    }

    func testErrorsNameTheResourceAndTheProblem() throws {
        let cores = try E2Process.run(["plan", "--policy", example("fig13-bng.e2"), "--nfs", example("nfs.json"),
                                       "--hardware", example("hardware-paper-testbed.json"), "--load", "subscribers->nat=200Gbps"])
        XCTAssertEqual(cores.status, 1)
        XCTAssertTrue(cores.standardError.hasPrefix("e2 plan: not-enough-cores: the iGraph has "), cores.standardError)
        let badLoad = try E2Process.run(["plan", "--policy", example("fig13-bng.e2"), "--nfs", example("nfs.json"),
                                         "--hardware", example("hardware-paper-testbed.json"), "--load", "nat=fast"])
        XCTAssertEqual(badLoad.status, 64)
        XCTAssertTrue(badLoad.standardError.contains("--load nat=fast: expected FROM->TO=RATE"), badLoad.standardError)
        let unknownEdge = try E2Process.run(["plan", "--policy", example("fig13-bng.e2"), "--nfs", example("nfs.json"),
                                             "--hardware", example("hardware-paper-testbed.json"), "--load", "vpn->nat=1Gbps"])
        XCTAssertEqual(unknownEdge.status, 1)
        XCTAssertTrue(unknownEdge.standardError.contains("unknown-edge"), unknownEdge.standardError)
    }
}
