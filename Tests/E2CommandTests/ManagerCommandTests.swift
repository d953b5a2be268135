import Foundation
import XCTest

/// `e2 manager` as a process: it serves, answers curl as the OpenAPI spec says, and stops on SIGTERM.
final class ManagerCommandTests: XCTestCase {
    /// Starts `e2 manager` on a free loopback port and returns the process and its base URL.
    /// Without `--data-dir` its state goes to a fresh temporary directory, never the working one.
    static func startManager(_ arguments: [String] = []) throws -> (Process, String, Pipe) {
        let process = Process()
        process.executableURL = E2Process.executable
        let data = arguments.contains("--data-dir") ? [] : ["--data-dir", FileManager.default.temporaryDirectory.appendingPathComponent("e2-manager-\(UUID().uuidString)").path]
        process.arguments = ["manager", "--listen", "127.0.0.1:0"] + data + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // The first line names the bound address: "... serving http://127.0.0.1:PORT ...".
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let start = text.range(of: "http://")?.lowerBound else { throw POSIXError(.EIO) }
        let url = String(text[start...].prefix { !$0.isWhitespace })
        return (process, url, output)
    }

    func curl(_ arguments: [String]) throws -> String { try Curl.output(arguments) }

    func testServesHealthAsSpecifiedAndStopsOnSIGTERM() throws {
        let (process, url, output) = try Self.startManager()
        XCTAssertTrue(url.hasPrefix("http://127.0.0.1:"), url)
        try OpenAPIConformanceTests.validate(try curl([url + "/healthz"]), against: "Status")
        try OpenAPIConformanceTests.validate(try curl([url + "/readyz"]), against: "Status")
        XCTAssertEqual(try curl([url + "/v1/api-versions"]), #"{"versions":["v1"]}"#)
        let missing = try curl(["-i", url + "/v1/nothing"])
        XCTAssertTrue(missing.hasPrefix("HTTP/1.1 404"), missing)
        try OpenAPIConformanceTests.validate(String(missing[missing.range(of: "\r\n\r\n")!.upperBound...]), against: "Problem")

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(log.contains("e2 manager: stopped"), log)
    }

    func testEventsStreamPlacementChangesReplayAndEndOnSIGTERM() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("e2-events-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let (process, url, output) = try Self.startManager(["--data-dir", data.path])
        // A Python client reads the stream as an SSE consumer would: lines, blank-line separated.
        let reader = """
            import sys, urllib.request
            request = urllib.request.Request(sys.argv[1] + "/v1/events", headers={"Last-Event-ID": sys.argv[2]})
            with urllib.request.urlopen(request, timeout=10) as stream:
                events = 0
                for raw in stream:
                    line = raw.decode().rstrip("\\n")
                    if line.startswith("id:") or line.startswith("event:"):
                        print(line, flush=True)
                    if line.startswith("event:"):
                        events += 1
                        if events == int(sys.argv[3]):
                            break
            """
        func listen(after id: Int, count: Int) throws -> (Process, Pipe) {
            let python = Process()
            python.executableURL = RuntimePackagesTests.root.appendingPathComponent(".venv/bin/python")
            python.arguments = ["-c", reader, url, String(id), String(count)]
            let pipe = Pipe()
            python.standardOutput = pipe
            try python.run()
            return (python, pipe)
        }
        let (live, liveOutput) = try listen(after: 0, count: 2)
        usleep(300_000)
        let examples = RuntimePackagesTests.root.appendingPathComponent("examples").path
        _ = try curl(["-X", "PUT", "-H", "Content-Type: application/json", "--data-binary", "@\(examples)/hardware-rack24.json", url + "/v1/hardware"])
        _ = try curl(["-X", "PUT", "-H", "Content-Type: application/json", "--data-binary", "@\(examples)/nfs.json", url + "/v1/nf-types"])
        live.waitUntilExit()
        XCTAssertEqual(String(decoding: liveOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
                       "id: 1\nevent: placement\nid: 2\nevent: placement\n")

        let (replay, replayOutput) = try listen(after: 1, count: 1)
        replay.waitUntilExit()
        XCTAssertEqual(String(decoding: replayOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self), "id: 2\nevent: placement\n",
                       "Last-Event-ID replays what came after it")

        // A stream still open does not keep the manager from stopping.
        let (waiting, _) = try listen(after: 2, count: 1)
        usleep(300_000)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        waiting.waitUntilExit()  // the open stream was ended by the stopping manager
        _ = output
    }

    func testMutualTLSAndTokensOffLoopbackWithCurl() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("e2-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func openssl(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.currentDirectoryURL = directory
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, arguments.joined(separator: " "))
        }
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req", "-x509"] + key + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=E2 Test CA"])
        for (name, subject, ext) in [("server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1"), ("client", "/CN=controller", "extendedKeyUsage=clientAuth")] {
            try openssl(["req"] + key + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject])
            try Data(ext.utf8).write(to: directory.appendingPathComponent("\(name).ext"))
            try openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "\(name).pem", "-days", "1", "-extfile", "\(name).ext"])
        }
        let tokens = directory.appendingPathComponent("tokens.json")
        try Data(#"{"controller": ["controller-secret-0123456789"], "monitor": ["monitor-secret-0123456789"]}"#.utf8).write(to: tokens)
        let path = { (name: String) in directory.appendingPathComponent(name).path }

        let process = Process()
        process.executableURL = E2Process.executable
        process.arguments = ["manager", "--listen", "0.0.0.0:0", "--data-dir", path("data"), "--tokens", tokens.path,
                             "--tls-cert", path("server.pem"), "--tls-key", path("server.key"), "--tls-client-ca", path("ca.pem")]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let banner = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let address = try XCTUnwrap(banner.range(of: "https://").map { banner[$0.upperBound...].prefix { !$0.isWhitespace && $0 != ";" } }, banner)
        let port = try XCTUnwrap(address.split(separator: ":").last.flatMap { Int($0) }, banner)
        let base = "https://localhost:\(port)"
        let client = ["--cacert", path("ca.pem"), "--cert", path("client.pem"), "--key", path("client.key")]

        XCTAssertEqual(try curl(client + ["-H", "Authorization: Bearer monitor-secret-0123456789", base + "/v1/api-versions"]), #"{"versions":["v1"]}"#)
        let noToken = try curl(client + ["-o", "/dev/null", "-w", "%{http_code}", base + "/v1/nf-types"])
        XCTAssertEqual(noToken, "401")
        let monitorWrite = try curl(client + ["-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", "Authorization: Bearer monitor-secret-0123456789",
                                              "-H", "Content-Type: application/json", "--data", "{}", base + "/v1/hardware"])
        XCTAssertEqual(monitorWrite, "403")
        let withoutCertificate = try curl(["--cacert", path("ca.pem"), "-o", "/dev/null", "-w", "%{http_code}", base + "/healthz"])
        XCTAssertEqual(withoutCertificate, "000", "mutual TLS refuses a client without a certificate")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let log = banner + String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(log.contains("e2 manager: stopped"), log)
        XCTAssertFalse(log.contains("secret"), "tokens are never logged")
    }

    func testDeeplyNestedPoliciesAreAnsweredNotFatal() throws {
        // A request thread once ran out of stack on 199 nested parentheses and took the manager down.
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("e2-deep-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let (process, url, _) = try Self.startManager(["--data-dir", data.path])
        defer { process.terminate(); process.waitUntilExit() }
        let nfs = RuntimePackagesTests.root.appendingPathComponent("examples/nfs.json").path
        _ = try curl(["-X", "PUT", "-H", "Content-Type: application/json", "--data-binary", "@\(nfs)", url + "/v1/nf-types"])
        for depth in [99, 100, 5000] {
            let policy = "NAT n; Port<0> a; Port<1> b; pipelet { a [" + String(repeating: "(", count: depth) + "tcp" + String(repeating: ")", count: depth)
                + "] -> n; a [not tcp] -> n; n -> b; }"
            let file = data.appendingPathComponent("deep\(depth).e2")
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            try Data(policy.utf8).write(to: file)
            let status = try curl(["-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Content-Type: text/x-e2-policy", "--data-binary", "@\(file.path)", url + "/v1/pipelets"])
            XCTAssertEqual(status, depth < 100 ? "201" : "422", "depth \(depth)")
            XCTAssertEqual(try curl([url + "/healthz"]), #"{"status":"ok"}"#, "the manager lives after depth \(depth)")
            if depth < 100 { _ = try curl(["-X", "DELETE", url + "/v1/pipelets/1"]) }
        }
    }

    func testRefusesToServePlainHTTPOrWithoutTokensOffLoopback() throws {
        let plain = try E2Process.run(["manager", "--listen", "0.0.0.0:8080"])
        XCTAssertEqual(plain.status, 64)
        XCTAssertTrue(plain.standardError.contains("plain HTTP is served on loopback only"), plain.standardError)
        let noTokens = try E2Process.run(["manager", "--listen", "0.0.0.0:8443", "--tls-cert", "c.pem", "--tls-key", "k.pem"])
        XCTAssertEqual(noTokens.status, 64)
        XCTAssertTrue(noTokens.standardError.contains("a tokens file (--tokens) is required"), noTokens.standardError)
        let badAddress = try E2Process.run(["manager", "--listen", "localhost"])
        XCTAssertTrue(badAddress.standardError.contains("expected HOST:PORT"), badAddress.standardError)
        let missingKey = try E2Process.run(["manager", "--tls-cert", "c.pem"])
        XCTAssertTrue(missingKey.standardError.contains("--tls-cert and --tls-key go together"), missingKey.standardError)
    }
}
