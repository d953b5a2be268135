import Foundation
import XCTest

/// `e2 dataplane` as a process: pcap in, classifier, pcap out, statistics on SIGTERM.
final class DataplaneCommandTests: XCTestCase {
    /// Writes a pcap of TCP, UDP (some to port 53) and ARP frames with Python's struct module.
    static let writer = """
        import struct, sys
        def frame(kind, i):
            eth = bytes([2,0,0,0,0,2, 2,0,0,0,0,1])
            if kind == "arp":
                return eth + b"\\x08\\x06" + bytes(28) + bytes(18)
            proto = 6 if kind == "tcp" else 17
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i, 0, 64, proto, 0, bytes([10,0,0,1]), bytes([192,0,2,i % 250]))
            dport = 53 if kind == "dns" else 80
            l4 = struct.pack("!HHIIBBHHH", 1000 + i, dport, 1, 0, 0x50, 2, 65535, 0, 0) if proto == 6 else struct.pack("!HHHH", 1000 + i, dport, 8, 0) + bytes(12)
            return eth + b"\\x08\\x00" + ip + l4
        with open(sys.argv[1], "wb") as out:
            out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            kinds = ["tcp", "udp", "dns", "arp"]
            for i in range(400):
                data = frame(kinds[i % 4], i)
                out.write(struct.pack("<IIII", 1, i, len(data), len(data)) + data)
        open(sys.argv[2], "wb").write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        """

    func run(_ tool: String, _ arguments: [String]) throws -> String {
        try ToolOutput.of(tool, arguments)
    }

    func testClassifiesAPcapIntoPortsAsTcpdumpWouldAndReportsOnSIGTERM() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("e2-dataplane-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        _ = try run("/usr/bin/python3", ["-c", Self.writer, path("in.pcap"), path("empty.pcap")])

        let configuration = """
            {"ports": [
               {"name": "in", "device": "net_pcap_in", "args": "rx_pcap=\(path("in.pcap"))"},
               {"name": "web", "device": "net_pcap_web", "args": "rx_pcap=\(path("empty.pcap")),tx_pcap=\(path("web.pcap"))"},
               {"name": "rest", "device": "net_pcap_rest", "args": "rx_pcap=\(path("empty.pcap")),tx_pcap=\(path("rest.pcap"))"}],
             "classifiers": [{"input": "in", "rules": [{"filter": "tcp dst port 80", "output": "web"}, {"filter": "udp port 53", "output": "drop"}], "default": "rest"}]}
            """
        try Data(configuration.utf8).write(to: directory.appendingPathComponent("e2d.json"))

        let process = Process()
        process.executableURL = E2Process.executable
        process.arguments = ["dataplane", "--config", path("e2d.json")]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until the 400 packets went through: the output files stop growing.
        var last = -1
        for _ in 0..<100 {
            usleep(100_000)
            let size = ((try? FileManager.default.attributesOfItem(atPath: path("rest.pcap"))[.size]) as? Int) ?? 0
            if size > 24 && size == last { break }
            last = size
        }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let statistics = try XCTUnwrap(JSONSerialization.jsonObject(with: output.fileHandleForReading.readDataToEndOfFile()) as? [String: Any])
        let ports = try XCTUnwrap(statistics["ports"] as? [String: [String: Int]])
        XCTAssertEqual(ports["in"]?["received"], 400)
        XCTAssertEqual(ports["web"]?["sent"], 100)
        XCTAssertEqual(ports["rest"]?["sent"], 200)
        XCTAssertEqual(statistics["droppedByPolicy"] as? Int, 100)
        XCTAssertEqual((statistics["gates"] as? [String: [Int]])?["in"], [100, 100, 200])

        // The same packets as tcpdump selects, compared as tcpdump prints them (no timestamps).
        let tcpdump = "/usr/bin/tcpdump"
        XCTAssertEqual(try run(tcpdump, ["-r", path("web.pcap"), "-t", "-n", "-x"]), try run(tcpdump, ["-r", path("in.pcap"), "-t", "-n", "-x", "tcp dst port 80"]))
        XCTAssertEqual(try run(tcpdump, ["-r", path("rest.pcap"), "-t", "-n", "-x"]),
                       try run(tcpdump, ["-r", path("in.pcap"), "-t", "-n", "-x", "not (tcp dst port 80) and not (udp port 53)"]))
    }

    func testABadConfigurationIsNamedByPath() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("e2d-bad-\(UUID().uuidString).json")
        try Data(#"{"ports": [{"name": "a", "device": "net_null0"}], "classifiers": [{"input": "a", "rules": [{"filter": "tcp", "output": "b"}], "default": "drop"}]}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let outcome = try E2Process.run(["dataplane", "--config", file.path])
        XCTAssertEqual(outcome.status, 64)
        XCTAssertTrue(outcome.standardError.contains("$.classifiers[0].rules[0].output: no port named \"b\""), outcome.standardError)
    }
}
