import E2Dataplane
import Foundation
import XCTest

/// `e2 up` as a user runs it: every part a separate process, traffic through the policy, and
/// an agent killed with SIGKILL: reported, its instances placed on the other servers, traffic
/// flowing again.
final class ClusterUpTests: XCTestCase {
    struct Traffic: Decodable {
        var sent: [String: UInt64]
        var received: [String: UInt64]
        var sentPerClass: [String: UInt64]
    }

    static func traffic(_ directory: URL) -> Traffic? {
        FileManager.default.contents(atPath: directory.appendingPathComponent("traffic.json").path).flatMap { try? JSONDecoder().decode(Traffic.self, from: $0) }
    }

    func testUpRunsTheFig13ClusterRestartsACrashedNFAndOnlyWhatThePolicyAllowsLeaves() throws {
        let directory = URL(fileURLWithPath: "/tmp/e2-up-test-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let up = Process()
        up.executableURL = E2Process.executable
        up.arguments = ["up", "--duration", "12", "--json", "--directory", directory.path]
        let output = Pipe()
        up.standardOutput = output
        up.standardError = FileHandle.nullDevice
        try up.run()
        defer { if up.isRunning { kill(up.processIdentifier, SIGKILL) } }
        for _ in 0..<120 where (Self.traffic(directory)?.received.values.reduce(0, +) ?? 0) < 500 { usleep(100_000) }

        // An NF process crashes: its agent starts it again and reports it.
        let socket = directory.appendingPathComponent("server1/e2d.sock").path
        let statistics = try DataplaneControlClient(path: socket).statistics()
        let (vport, victim) = try XCTUnwrap(statistics.vports.first { ($0.value.nfPid ?? 0) != 0 }.map { ($0.key, $0.value.nfPid!) })
        kill(victim, SIGKILL)
        var replacement: Int32 = 0
        for _ in 0..<100 where replacement == 0 || replacement == victim {
            usleep(100_000)
            replacement = (try? DataplaneControlClient(path: socket).statistics().vports[vport]?.nfPid ?? 0) ?? 0
        }
        XCTAssertNotEqual(replacement, 0)
        XCTAssertNotEqual(replacement, victim, "a new NF process serves the vport")
        let url = try XCTUnwrap(Self.managerURL(directory))
        let events = try Curl.output(["--max-time", "2", "-H", "Last-Event-ID: 0", url + "/v1/events"])
        XCTAssertTrue(events.contains("nfRestarted"), events)

        up.waitUntilExit()
        XCTAssertEqual(up.terminationStatus, 0)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
        let sent = try XCTUnwrap(summary["trafficSent"] as? Int), received = try XCTUnwrap(summary["trafficReceived"] as? Int)
        let perClass = try XCTUnwrap(summary["sentPerClass"] as? [String: Int])
        XCTAssertGreaterThan(sent, 0)
        XCTAssertGreaterThan(received, 0, "traffic flows")
        XCTAssertLessThanOrEqual(received, (perClass["web"] ?? 0) + (perClass["corp_net"] ?? 0), "telnet and flagged DNS never leave")
        let servers = try XCTUnwrap(summary["servers"] as? [[String: Any]])
        XCTAssertEqual(servers.count, 2)
        XCTAssertEqual(Set(servers.compactMap { $0["state"] as? String }), ["alive"])
        XCTAssertGreaterThan(servers.compactMap { $0["droppedByPolicy"] as? Int }.reduce(0, +), 0, "the firewall and IDS drop what the policy says")
        XCTAssertNotNil(summary["secondsToFirstTraffic"] as? Double)
        // Every process it started has stopped.
        XCTAssertEqual(try ToolOutput.of("/usr/bin/pgrep", ["-f", directory.path]), "")
    }

    func testAnAgentKilledWithSIGKILLIsReportedAndTrafficFlowsAgainOnTheOtherServers() throws {
        let directory = URL(fileURLWithPath: "/tmp/e2-up-kill-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let up = Process()
        up.executableURL = E2Process.executable
        up.arguments = ["up", "--servers", "3", "--duration", "60", "--json", "--heartbeat-timeout", "1", "--directory", directory.path]
        up.standardOutput = Pipe()
        up.standardError = FileHandle.nullDevice
        try up.run()
        defer {
            if up.isRunning { kill(up.processIdentifier, SIGTERM) }
            up.waitUntilExit()
        }
        func received() -> UInt64 { Self.traffic(directory)?.received.values.reduce(0, +) ?? 0 }
        // Traffic flows first.
        for _ in 0..<120 where received() < 2000 { usleep(250_000) }
        XCTAssertGreaterThanOrEqual(received(), 2000, "traffic flows before the failure")
        let pids = try JSONDecoder().decode([String: Int32].self, from: Data(contentsOf: directory.appendingPathComponent("agents.json")))
        // The server with most instances goes down: its agent is killed, its E2D and NFs follow.
        struct Status: Decodable { struct Server: Decodable { var name: String; var state: String; var instances: [String] }; var servers: [Server] }
        let url = try XCTUnwrap(Self.managerURL(directory))
        let before = try JSONDecoder().decode(Status.self, from: Data(try Curl.output([url + "/v1/status"]).utf8))
        let victim = try XCTUnwrap(before.servers.max { $0.instances.count < $1.instances.count })
        XCTAssertFalse(victim.instances.isEmpty)
        // An NF on a server that stays, to see that it keeps running through the change.
        let survivor = try XCTUnwrap(before.servers.first { $0.name != victim.name && !$0.instances.isEmpty })
        let survivorSocket = directory.appendingPathComponent("\(survivor.name)/e2d.sock").path
        let survivorNFs = try DataplaneControlClient(path: survivorSocket).statistics().vports.compactMapValues { $0.nfPid }.filter { $0.value != 0 }
        XCTAssertFalse(survivorNFs.isEmpty)
        // The rate out of the external ports before the failure, over two seconds.
        let rateStart = received()
        usleep(2_000_000)
        let rateBefore = Double(received() - rateStart) / 2
        let killedAt = Date()
        kill(try XCTUnwrap(pids[victim.name]), SIGKILL)

        // Reported as failed; its instances move; packets leave again.
        var reported: Double?
        var recovered: Double?
        var window: [(Date, UInt64)] = []
        // A liveness bound only (the test must end); the figure is what is measured and printed.
        while Date().timeIntervalSince(killedAt) < 60 && recovered == nil {
            usleep(200_000)
            if reported == nil, let status = try? JSONDecoder().decode(Status.self, from: Data(try Curl.output([url + "/v1/status"]).utf8)),
               status.servers.first(where: { $0.name == victim.name })?.state == "failed" {
                reported = Date().timeIntervalSince(killedAt)
                XCTAssertTrue(status.servers.first { $0.name == victim.name }?.instances.isEmpty ?? false, "no instance left on the failed server")
                XCTAssertEqual(status.servers.filter { $0.name != victim.name }.flatMap(\.instances).count,
                               before.servers.flatMap(\.instances).count, "every instance placed again on the others")
            }
            // Flowing again: after the failure was reported, the rate over the last second is
            // back to 90% of the rate before the kill.
            window.append((Date(), received()))
            window.removeAll { Date().timeIntervalSince($0.0) > 1.05 }
            if reported != nil, let first = window.first, let last = window.last, last.0.timeIntervalSince(first.0) >= 0.9,
               Double(last.1 - first.1) / last.0.timeIntervalSince(first.0) >= 0.9 * rateBefore {
                recovered = Date().timeIntervalSince(killedAt)
            }
        }
        let failureReported = try XCTUnwrap(reported, "the failure was not reported")
        let flowing = try XCTUnwrap(recovered, "traffic did not come back to 90% of its rate")
        print(String(format: "agent %@ killed (%d of %d instances): failure reported after %.2f s, traffic back to 90%% of %.0f packets/s after %.2f s",
                     victim.name, victim.instances.count, before.servers.flatMap(\.instances).count, failureReported, rateBefore, flowing))
        // The surviving server changed its E2D in place: its NFs are the same processes.
        let afterNFs = try DataplaneControlClient(path: survivorSocket).statistics().vports.compactMapValues { $0.nfPid }
        for (vport, pid) in survivorNFs { XCTAssertEqual(afterNFs[vport], pid, "\(vport)'s NF kept running (its state with it)") }
        // The failure event is on the stream too.
        let events = try Curl.output(["--max-time", "2", "-H", "Last-Event-ID: 0", url + "/v1/events"])
        XCTAssertTrue(events.contains("event: failure") && events.contains(victim.name), events)
        kill(up.processIdentifier, SIGTERM)
        up.waitUntilExit()
        XCTAssertEqual(try ToolOutput.of("/usr/bin/pgrep", ["-f", directory.path]), "")
    }

    static func managerURL(_ directory: URL) -> String? {
        try? String(contentsOf: directory.appendingPathComponent("manager.url"), encoding: .utf8)
    }

    func testUpRunsFig14WithTheLegacyProxyStartedByItsAgent() throws {
        let directory = URL(fileURLWithPath: "/tmp/e2-up-fig14-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let policy = RuntimePackagesTests.root.appendingPathComponent("examples/fig14-nat-fw-proxy.e2").path
        let up = Process()
        up.executableURL = E2Process.executable
        up.arguments = ["up", "--policy", policy, "--duration", "10", "--json", "--directory", directory.path]
        let output = Pipe()
        up.standardOutput = output
        up.standardError = FileHandle.nullDevice
        try up.run()
        defer { if up.isRunning { kill(up.processIdentifier, SIGKILL) } }
        for _ in 0..<120 where (Self.traffic(directory)?.received.values.reduce(0, +) ?? 0) < 1000 { usleep(100_000) }

        // The proxy is legacy: unmodified Linux behind two legacy vports, both carrying traffic.
        var legacy: [String: DataplaneStatistics.Port] = [:]
        for server in ["server1", "server2"] {
            guard let statistics = try? DataplaneControlClient(path: directory.appendingPathComponent("\(server)/e2d.sock").path).statistics() else { continue }
            for (name, vport) in statistics.vports where vport.kind == .legacy { legacy[name] = statistics.ports[name] }
        }
        XCTAssertEqual(legacy.count, 2, "the proxy's input and output vports")
        XCTAssertGreaterThan(legacy.values.map(\.sent).reduce(0, +), 0, "packets went to the proxy")
        XCTAssertGreaterThan(legacy.values.map(\.received).reduce(0, +), 0, "and came back from it")

        up.waitUntilExit()
        XCTAssertEqual(up.terminationStatus, 0)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: output.fileHandleForReading.readDataToEndOfFile()) as? [String: Any])
        let perClass = try XCTUnwrap(summary["sentPerClass"] as? [String: Int])
        let received = try XCTUnwrap(summary["trafficReceived"] as? Int)
        XCTAssertGreaterThan(received, 0)
        XCTAssertLessThanOrEqual(received, (perClass["web"] ?? 0) + (perClass["dns"] ?? 0), "telnet never leaves")
        XCTAssertEqual(try ToolOutput.of("/usr/bin/pgrep", ["-f", directory.path]), "")
        XCTAssertFalse(try ToolOutput.of("/usr/sbin/ip", ["netns", "list"]).contains("e2a-server"), "the proxy's namespace is gone")
    }
}
