import Foundation
import XCTest

/// The manager under real clients: responses match openapi/e2.yaml, and kill -9 in the middle
/// of a stream of writes loses nothing that was acknowledged.
final class ManagerDurabilityTests: XCTestCase {
    static let root = RuntimePackagesTests.root

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("e2-manager-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func curl(_ arguments: [String]) throws -> (status: Int, body: String) { try Curl.request(arguments) }

    func testResponsesMatchTheOpenAPISchemas() throws {
        let data = try temporaryDirectory()
        let (process, url, _) = try ManagerCommandTests.startManager(["--data-dir", data.path])
        defer { process.terminate(); process.waitUntilExit() }
        let examples = Self.root.appendingPathComponent("examples")
        let json = ["-H", "Content-Type: application/json"]
        let catalog = try curl(["-X", "PUT"] + json + ["--data-binary", "@\(examples.path)/nfs.json", url + "/v1/nf-types"])
        XCTAssertEqual(catalog.status, 200)
        try OpenAPIConformanceTests.validate(catalog.body, against: "NFCatalog")
        let hardware = try curl(["-X", "PUT"] + json + ["--data-binary", "@\(examples.path)/hardware-rack24.json", url + "/v1/hardware"])
        XCTAssertEqual(hardware.status, 201)
        try OpenAPIConformanceTests.validate(hardware.body, against: "HardwareDescription")
        let created = try curl(["-X", "POST", "-H", "Content-Type: text/x-e2-policy", "--data-binary", "@\(examples.path)/fig14-nat-fw-proxy.e2", url + "/v1/pipelets"])
        XCTAssertEqual(created.status, 201)
        try OpenAPIConformanceTests.validate(created.body, against: "PolicyDocument")
        let invalid = try curl(["-X", "POST", "-H", "Content-Type: text/x-e2-policy", "--data", "NAT q; pipelet { q -> q; }", url + "/v1/pipelets"])
        XCTAssertEqual(invalid.status, 422)
        try OpenAPIConformanceTests.validate(invalid.body, against: "PolicyProblem")
        try OpenAPIConformanceTests.validate(try curl([url + "/v1/pgraph"]).body, against: "PolicyGraph")
        let plan = try curl(["-X", "POST"] + json + ["--data", #"{"strategy": "e2", "loads": ["int->p=2Gbps"]}"#, url + "/v1/plan"])
        XCTAssertEqual(plan.status, 200, plan.body)
        try OpenAPIConformanceTests.validate(plan.body, against: "ClusterPlan")
    }

    func testStatusAndPrometheusMetricsReadByTheirOwnParsers() throws {
        let data = try temporaryDirectory()
        let (process, url, _) = try ManagerCommandTests.startManager(["--data-dir", data.path])
        defer { process.terminate(); process.waitUntilExit() }
        let examples = Self.root.appendingPathComponent("examples")
        let json = ["-H", "Content-Type: application/json"]
        _ = try curl(["-X", "PUT"] + json + ["--data-binary", "@\(examples.path)/nfs.json", url + "/v1/nf-types"])
        _ = try curl(["-X", "PUT"] + json + ["--data-binary", "@\(examples.path)/hardware-paper-testbed.json", url + "/v1/hardware"])
        _ = try curl(["-X", "POST", "-H", "Content-Type: text/x-e2-policy", "--data-binary", "@\(examples.path)/fig13-bng.e2", url + "/v1/pipelets"])
        _ = try curl([url + "/v1/nf-types/NAT"])
        _ = try curl([url + "/v1/nf-types/Nope"])
        let status = try curl([url + "/v1/status"])
        XCTAssertEqual(status.status, 200)
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(status.body.utf8)) as? [String: Any])
        XCTAssertEqual((parsed["instances"] as? [Any])?.count, 10)
        XCTAssertEqual((parsed["servers"] as? [[String: Any]])?.first?["coresUsed"] as? Int, 10)

        // prometheus_client's own parser reads the exposition.
        let script = """
            import sys, urllib.request
            from prometheus_client.parser import text_string_to_metric_families
            text = urllib.request.urlopen(sys.argv[1] + "/metrics").read().decode()
            samples = {}
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                    samples[f"{sample.name}{{{labels}}}"] = sample.value
            for key in sorted(samples): print(key, float(samples[key]))
            """
        let python = Process()
        python.executableURL = Self.root.appendingPathComponent(".venv/bin/python")
        python.arguments = ["-c", script, url]
        let output = Pipe()
        python.standardOutput = output
        try python.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        XCTAssertEqual(python.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("e2_http_requests_total{method=GET,route=/v1/nf-types/{name},status=200} 1.0"), text)
        XCTAssertTrue(text.contains("e2_http_requests_total{method=GET,route=/v1/nf-types/{name},status=404} 1.0"), text)
        XCTAssertTrue(text.contains("e2_instances{nf=ids} 4.0"), text)
        XCTAssertTrue(text.contains("e2_build_info{version=0.1.0} 1.0"), text)
        XCTAssertTrue(text.contains("e2_http_request_duration_seconds_count{route=/v1/pipelets} 1.0"), text)
    }

    func testConcurrentWritersAndPollers() throws {
        let data = try temporaryDirectory()
        let (manager, url, _) = try ManagerCommandTests.startManager(["--data-dir", data.path])
        defer { manager.terminate(); manager.waitUntilExit() }
        let examples = Self.root.appendingPathComponent("examples").path
        _ = try curl(["-X", "PUT", "-H", "Content-Type: application/json", "--data-binary", "@\(examples)/hardware-rack24.json", url + "/v1/hardware"])
        // Four writers and two pollers at once, each a Python process with its own connection.
        let script = """
            import json, sys, threading, urllib.request, urllib.error
            base, role, name = sys.argv[1], sys.argv[2], sys.argv[3]
            failures = 0
            for i in range(40):
                try:
                    if role == "writer":
                        body = json.dumps({"name": f"{name}x{i}", "api": "native", "inputs": ["in"], "outputs": ["out"],
                                           "replicable": True, "affinity": [], "performance": {"gbpsPerCorePerGHz": 1}}).encode()
                        request = urllib.request.Request(f"{base}/v1/nf-types/{name}x{i}", data=body, method="PUT",
                                                         headers={"Content-Type": "application/json"})
                    else:
                        request = urllib.request.Request(f"{base}/v1/{'status' if i % 2 else 'nf-types'}")
                    with urllib.request.urlopen(request, timeout=10) as response:
                        json.loads(response.read())
                        if response.status not in (200, 201): failures += 1
                except Exception as error:
                    print("failure", error, flush=True)
                    failures += 1
            print(role, name, "failures", failures, flush=True)
            """
        let roles = (0..<4).map { ("writer", "W\($0)") } + (0..<2).map { ("poller", "P\($0)") }
        let processes = try roles.map { role, name -> (Process, Pipe) in
            let process = Process()
            process.executableURL = Self.root.appendingPathComponent(".venv/bin/python")
            process.arguments = ["-c", script, url, role, name]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            return (process, output)
        }
        for (process, output) in processes {
            process.waitUntilExit()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertTrue(text.hasSuffix("failures 0\n"), text)
        }
        let stored = try curl([url + "/v1/nf-types"])
        let catalog = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(stored.body.utf8)) as? [String: Any])
        XCTAssertEqual((catalog["nfs"] as? [Any])?.count, 4 * 40, "every write is there")
    }

    func testKill9LosesNoAcknowledgedWrite() throws {
        let data = try temporaryDirectory()
        var (manager, url, _) = try ManagerCommandTests.startManager(["--data-dir", data.path])
        // A Python client writes NF descriptions as fast as it can and prints each acknowledged one.
        let script = """
            import json, sys, urllib.request
            base = sys.argv[1]
            for i in range(100000):
                body = json.dumps({"name": f"T{i}", "api": "native", "inputs": ["in"], "outputs": ["out"],
                                   "replicable": True, "affinity": [], "performance": {"gbpsPerCorePerGHz": 1}}).encode()
                request = urllib.request.Request(f"{base}/v1/nf-types/T{i}", data=body, method="PUT",
                                                 headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(request, timeout=5) as response:
                        if response.status in (200, 201):
                            print(f"T{i}", flush=True)
                except Exception:
                    break
            """
        let client = Process()
        client.executableURL = Self.root.appendingPathComponent(".venv/bin/python")
        client.arguments = ["-c", script, url]
        let acks = Pipe()
        client.standardOutput = acks
        try client.run()
        // Let some writes through, then kill -9 the manager mid-stream.
        var acknowledged = Data()
        while acknowledged.filter({ $0 == 10 }).count < 40 {
            let chunk = acks.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            acknowledged += chunk
        }
        kill(manager.processIdentifier, SIGKILL)
        manager.waitUntilExit()
        acknowledged += acks.fileHandleForReading.readDataToEndOfFile()
        client.waitUntilExit()
        let names = String(decoding: acknowledged, as: UTF8.self).split(separator: "\n").map(String.init)
        XCTAssertGreaterThanOrEqual(names.count, 40)

        let integrity = Process()
        integrity.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        integrity.arguments = [data.appendingPathComponent("state.sqlite3").path, "PRAGMA integrity_check;"]
        let check = Pipe()
        integrity.standardOutput = check
        try integrity.run()
        integrity.waitUntilExit()
        XCTAssertEqual(String(decoding: check.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self), "ok\n")

        (manager, url, _) = try ManagerCommandTests.startManager(["--data-dir", data.path])
        defer { manager.terminate(); manager.waitUntilExit() }
        let stored = try curl([url + "/v1/nf-types"])
        let catalog = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(stored.body.utf8)) as? [String: Any])
        let present = Set((catalog["nfs"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
        let lost = names.filter { !present.contains($0) }
        XCTAssertEqual(lost, [], "acknowledged writes lost after kill -9")
    }
}
