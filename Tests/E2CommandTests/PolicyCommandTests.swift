import Foundation
import XCTest

/// `e2 policy check` and `e2 policy graph`, run as processes on the shipped examples.
final class PolicyCommandTests: XCTestCase {
    static let examples = RuntimePackagesTests.root.appendingPathComponent("examples")
    static let nfs = examples.appendingPathComponent("nfs.json").path

    func example(_ name: String) -> String { Self.examples.appendingPathComponent(name).path }

    func testCheckPrintsASummaryAndExitsZeroForEachExample() throws {
        for name in ["fig2-ids.e2", "fig13-bng.e2", "fig14-nat-fw-proxy.e2", "fig16-ratelimiter.e2"] {
            let outcome = try E2Process.run(["policy", "check", example(name), "--nfs", Self.nfs])
            XCTAssertEqual(outcome.status, 0, name + outcome.standardError)
            XCTAssertTrue(outcome.standardOutput.hasPrefix("valid: 1 file(s), "), outcome.standardOutput)
            XCTAssertEqual(outcome.standardOutput.split(separator: "\n").count, 1)
        }
    }

    func testCheckReportsEveryDiagnosticAsTextOnStandardError() throws {
        let policy = try temporaryPolicy("NAT n;\nRouter r;\nPort<0-3> a;\npipelet { a -> n; n -> x; }\n")
        let outcome = try E2Process.run(["policy", "check", policy, "--nfs", Self.nfs])
        XCTAssertEqual(outcome.status, 1)
        XCTAssertEqual(outcome.standardOutput, "")
        XCTAssertTrue(outcome.standardError.contains("\(policy):2:1: error: unknown NF type 'Router'"), outcome.standardError)
        XCTAssertTrue(outcome.standardError.contains("\(policy):4:24: error: 'x' is not declared (edge destination) [undefined-name]"), outcome.standardError)
        XCTAssertTrue(outcome.standardError.contains("\n                         ^"), "a caret under column 24:\n\(outcome.standardError)")
        XCTAssertFalse(outcome.standardError.contains("missing-destination"), "an edge that did not resolve still leaves n")
    }

    func testCheckReportsJSONWithWitnessFieldsNamedAsTheFilterSyntax() throws {
        let text = try String(contentsOfFile: example("fig14-nat-fw-proxy.e2"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("-> Drop;  //") }.joined(separator: "\n")
        let policy = try temporaryPolicy(text)
        let outcome = try E2Process.run(["policy", "check", policy, "--nfs", Self.nfs, "--format", "json"])
        XCTAssertEqual(outcome.status, 1)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any])
        XCTAssertEqual(report["valid"] as? Bool, false)
        let diagnostic = try XCTUnwrap((report["diagnostics"] as? [[String: Any]])?.first)
        XCTAssertEqual(diagnostic["code"] as? String, "missing-destination")
        XCTAssertEqual(diagnostic["node"] as? String, "n")
        XCTAssertEqual(diagnostic["file"] as? String, policy)
        XCTAssertEqual(diagnostic["severity"] as? String, "error")
        XCTAssertEqual((diagnostic["edges"] as? [[String: Int]])?.map { $0["line"] }, [16, 24, 25])
        let witness = try XCTUnwrap(diagnostic["witness"] as? [String: String])
        XCTAssertEqual(witness["ingress"], "ext")
        XCTAssertNotNil(witness["dst ip"])
        XCTAssertNotNil(witness["proto"])
    }

    func testGraphAsJSONAndAsDOTThatGraphvizRenders() throws {
        let json = try E2Process.run(["policy", "graph", example("fig14-nat-fw-proxy.e2"), "--nfs", Self.nfs])
        XCTAssertEqual(json.status, 0, json.standardError)
        let graph = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        let edges = try XCTUnwrap(graph["edges"] as? [[String: Any]])
        XCTAssertEqual(edges.count, 12)
        XCTAssertEqual(edges.first { $0["from"] as? String == "n" && $0["to"] as? String == "f" }?["finalFilter"] as? String, "ingress int")

        let dot = try E2Process.run(["policy", "graph", example("fig13-bng.e2"), "--nfs", Self.nfs, "--format", "dot"])
        XCTAssertEqual(dot.status, 0, dot.standardError)
        XCTAssertTrue(dot.standardOutput.contains("\"subscribers\" -> \"nat\" [label=\"7.2Gbps\"];"), dot.standardOutput)
        let rendered = try Self.graphviz(dot.standardOutput)
        XCTAssertTrue(rendered.hasPrefix("<?xml"), "graphviz rendered SVG")
        XCTAssertTrue(rendered.contains("IDS.safe &amp;&amp; dst net corp_net"), "edge labels reach the picture")
    }

    func testGraphOfAnInvalidPolicyFailsWithItsDiagnostics() throws {
        let policy = try temporaryPolicy("NAT n;\npipelet { n -> n; }\n")
        let outcome = try E2Process.run(["policy", "graph", policy, "--nfs", Self.nfs])
        XCTAssertEqual(outcome.status, 1)
        XCTAssertTrue(outcome.standardError.contains("[cycle]"), outcome.standardError)
    }

    func testUnreadableInputsAreNamed() throws {
        let missing = try E2Process.run(["policy", "check", "/nonexistent/p.e2", "--nfs", Self.nfs])
        XCTAssertEqual(missing.status, 64)
        XCTAssertTrue(missing.standardError.contains("cannot read policy file /nonexistent/p.e2"), missing.standardError)
        let badNFs = try temporaryPolicy("{\"nfs\": [{\"name\": 3}]}")
        let outcome = try E2Process.run(["policy", "check", example("fig2-ids.e2"), "--nfs", badNFs])
        XCTAssertEqual(outcome.status, 64)
        XCTAssertTrue(outcome.standardError.contains("$.nfs[0].name: expected a string"), outcome.standardError)
    }

    func testConvertToJSONAndCheckTheJSONForm() throws {
        let json = try E2Process.run(["policy", "convert", example("fig14-nat-fw-proxy.e2")])
        XCTAssertEqual(json.status, 0, json.standardError)
        let policy = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        XCTAssertEqual((policy["pipelets"] as? [Any])?.count, 2)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("e2-policy-\(UUID().uuidString).json")
        try Data(json.standardOutput.utf8).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let check = try E2Process.run(["policy", "check", path.path, "--nfs", Self.nfs])
        XCTAssertEqual(check.status, 0, check.standardError)
        XCTAssertEqual(check.standardOutput, "valid: 1 file(s), 3 NF instances, 2 port groups, 12 edges, 4 limited by ingress\n")
        let text = try E2Process.run(["policy", "convert", path.path, "--to", "text"])
        XCTAssertTrue(text.standardOutput.contains("  n [(src port 80) && (dst ip my_net)] -> p;\n"), text.standardOutput)
    }

    private func temporaryPolicy(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("e2-policy-\(UUID().uuidString).e2")
        try Data(text.utf8).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    static func graphviz(_ dot: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/dot")
        process.arguments = ["-Tsvg"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(dot.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return String(decoding: data, as: UTF8.self)
    }
}
