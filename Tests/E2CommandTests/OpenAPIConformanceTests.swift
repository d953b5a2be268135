import Foundation
import XCTest

/// What `e2 policy` prints must match the schemas of openapi/e2.yaml, checked by Python's
/// jsonschema (from the .venv scripts/setup makes), an independent reader of the spec.
final class OpenAPIConformanceTests: XCTestCase {
    static let root = RuntimePackagesTests.root
    static let nfs = root.appendingPathComponent("examples/nfs.json").path

    func testPolicyOutputsMatchTheirSchemas() throws {
        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("e2-broken-\(UUID().uuidString).e2")
        let text = try String(contentsOf: Self.root.appendingPathComponent("examples/fig14-nat-fw-proxy.e2"), encoding: .utf8)
            .replacingOccurrences(of: "  n [!(dst ip my_net)] -> Drop;", with: "  n [tcp] -> f;")
        try Data((text + "\nRouter r;\n").utf8).write(to: broken)
        defer { try? FileManager.default.removeItem(at: broken) }
        let fig14 = Self.root.appendingPathComponent("examples/fig14-nat-fw-proxy.e2").path

        let report = try E2Process.run(["policy", "check", broken.path, "--nfs", Self.nfs, "--format", "json"])
        XCTAssertEqual(report.status, 1)
        XCTAssertTrue(report.standardOutput.contains("\"witness\""), "the report has witnesses to check")
        try Self.validate(report.standardOutput, against: "PolicyCheckReport")
        try Self.validate(try E2Process.run(["policy", "graph", fig14, "--nfs", Self.nfs]).standardOutput, against: "PolicyGraph")
        try Self.validate(try E2Process.run(["policy", "convert", fig14]).standardOutput, against: "PolicyJSON")
        XCTAssertThrowsError(try Self.validate(#"{"valid": true}"#, against: "PolicyCheckReport"), "the check can fail")
    }

    static func validate(_ json: String, against schema: String) throws {
        let script = """
            import json, sys, yaml, jsonschema
            spec = yaml.safe_load(open(sys.argv[1]))
            schema = dict(spec["components"]["schemas"][sys.argv[2]])
            schema["components"] = spec["components"]
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(sys.stdin)))
            for error in errors[:3]: print(error.message, list(error.absolute_path), file=sys.stderr)
            sys.exit(1 if errors else 0)
            """
        let process = Process()
        process.executableURL = root.appendingPathComponent(".venv/bin/python")
        process.arguments = ["-c", script, root.appendingPathComponent("openapi/e2.yaml").path, schema]
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(json.utf8))
        try input.fileHandleForWriting.close()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.coderInvalidValue, userInfo: [NSLocalizedDescriptionKey: "\(schema): \(message)"])
        }
    }
}
