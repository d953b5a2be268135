import Foundation
import XCTest

/// Webhooks against a Python receiver that checks every signature with Python's own hmac.
final class WebhookTests: XCTestCase {
    static let receiver = """
        import hashlib, hmac, http.server, sys
        secret = sys.argv[1].encode()
        failing = int(sys.argv[2]) if len(sys.argv) > 2 else 1   # how many deliveries to refuse
        port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
        posts = 0
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args): pass
            def do_GET(self):
                # The subscription check: 204 when asked on /ok, 200 (refused) elsewhere.
                self.send_response(204 if self.path.startswith("/ok") else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()
            def do_POST(self):
                global posts
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
                valid = hmac.compare_digest(expected, self.headers["X-E2-Signature"])
                posts += 1
                status = 500 if posts <= failing else 200   # the first deliveries fail, to see retries
                print(f"delivery {self.headers['X-E2-Delivery']} {self.headers['X-E2-Event']} attempt {self.headers['X-E2-Attempt']} valid {valid} answered {status}", flush=True)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
        http.server.HTTPServer.allow_reuse_address = True
        server = http.server.HTTPServer(("127.0.0.1", port), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """

    func curl(_ arguments: [String]) throws -> (status: Int, body: String) { try Curl.request(arguments) }

    func readLine(_ pipe: Pipe) -> String {
        var line = Data()
        while true {
            let byte = pipe.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { return String(decoding: line, as: UTF8.self) }
            line += byte
        }
    }

    func testSubscriptionsAreCheckedAndDeliveriesSignedAndRetried() throws {
        let secret = "webhook-secret-0123456789"
        let python = Process()
        python.executableURL = RuntimePackagesTests.root.appendingPathComponent(".venv/bin/python")
        python.arguments = ["-c", Self.receiver, secret]
        let deliveries = Pipe()
        python.standardOutput = deliveries
        try python.run()
        defer { python.terminate(); python.waitUntilExit() }
        let port = readLine(deliveries)

        let data = FileManager.default.temporaryDirectory.appendingPathComponent("e2-hooks-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let (manager, url, _) = try ManagerCommandTests.startManager(["--data-dir", data.path])
        defer { manager.terminate(); manager.waitUntilExit() }
        let json = ["-H", "Content-Type: application/json"]

        let refused = try curl(["-X", "POST"] + json + ["--data", #"{"callback": "http://127.0.0.1:\#(port)/nope", "secret": "\#(secret)"}"#, url + "/v1/subscriptions"])
        XCTAssertEqual(refused.status, 422)
        XCTAssertTrue(refused.body.contains("answered the check GET with 200"), refused.body)
        let weak = try curl(["-X", "POST"] + json + ["--data", #"{"callback": "http://127.0.0.1:\#(port)/ok", "secret": "short"}"#, url + "/v1/subscriptions"])
        XCTAssertEqual(weak.status, 422)

        let created = try curl(["-X", "POST"] + json + ["--data", #"{"callback": "http://127.0.0.1:\#(port)/ok", "secret": "\#(secret)", "events": ["placement"]}"#, url + "/v1/subscriptions"])
        XCTAssertEqual(created.status, 201, created.body)
        XCTAssertFalse(created.body.contains(secret), "the secret is never returned")
        XCTAssertTrue(try curl([url + "/v1/subscriptions"]).body.contains("/ok"))

        let examples = RuntimePackagesTests.root.appendingPathComponent("examples").path
        XCTAssertEqual(try curl(["-X", "PUT"] + json + ["--data-binary", "@\(examples)/hardware-rack24.json", url + "/v1/hardware"]).status, 201)
        XCTAssertEqual(readLine(deliveries), "delivery 1 placement attempt 1 valid True answered 500")
        XCTAssertEqual(readLine(deliveries), "delivery 1 placement attempt 2 valid True answered 200", "retried after the failure")
    }

    func startReceiver(_ secret: String, failing: Int, port: String = "0") throws -> (Process, Pipe, String) {
        let python = Process()
        python.executableURL = RuntimePackagesTests.root.appendingPathComponent(".venv/bin/python")
        python.arguments = ["-c", Self.receiver, secret, String(failing), port]
        let deliveries = Pipe()
        python.standardOutput = deliveries
        try python.run()
        return (python, deliveries, readLine(deliveries))
    }

    func testADeliveryOwedWhenTheManagerIsKilledIsMadeAfterItsRestart() throws {
        let secret = "webhook-secret-0123456789"
        var (receiver, deliveries, port) = try startReceiver(secret, failing: 1000)
        defer { receiver.terminate(); receiver.waitUntilExit() }
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("e2-hooks-kill-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        var (manager, url, _) = try ManagerCommandTests.startManager(["--data-dir", data.path])
        let json = ["-H", "Content-Type: application/json"]
        XCTAssertEqual(try curl(["-X", "POST"] + json + ["--data", #"{"callback": "http://127.0.0.1:\#(port)/ok", "secret": "\#(secret)"}"#, url + "/v1/subscriptions"]).status, 201)
        let examples = RuntimePackagesTests.root.appendingPathComponent("examples").path
        XCTAssertEqual(try curl(["-X", "PUT"] + json + ["--data-binary", "@\(examples)/hardware-rack24.json", url + "/v1/hardware"]).status, 201)
        XCTAssertEqual(readLine(deliveries), "delivery 1 placement attempt 1 valid True answered 500")

        // The manager dies owing the delivery; the receiver comes back willing.
        kill(manager.processIdentifier, SIGKILL)
        manager.waitUntilExit()
        receiver.terminate()
        receiver.waitUntilExit()
        (receiver, deliveries, port) = try startReceiver(secret, failing: 0, port: port)
        (manager, url, _) = try ManagerCommandTests.startManager(["--data-dir", data.path])
        defer { manager.terminate(); manager.waitUntilExit() }
        XCTAssertEqual(readLine(deliveries), "delivery 1 placement attempt 2 valid True answered 200", "made after the restart, same event id")

        // New events keep counting after the old ones: ids never repeat.
        XCTAssertEqual(try curl(["-X", "PUT"] + json + ["--data-binary", "@\(examples)/nfs.json", url + "/v1/nf-types"]).status, 200)
        XCTAssertEqual(readLine(deliveries), "delivery 2 placement attempt 1 valid True answered 200")
    }
}
