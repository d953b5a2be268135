import E2Cluster
import E2Dataplane
import Foundation
import XCTest

/// An `e2 dataplane` process with a control socket, in a temporary directory, for tests that
/// drive E2D as the agent will: through `DataplaneControlClient`.
final class RunningDataplane {
    let directory: URL
    let prefix: String
    let process = Process()
    let output = Pipe()
    let errors = Pipe()
    var socketPath: String { directory.appendingPathComponent("control.sock").path }
    private(set) var client: DataplaneControlClient!

    /// Starts E2D with the configuration text (`DIR` in it is replaced by the directory).
    /// `prepare` writes input files into the directory before E2D starts.
    init(configuration: String, prepare: (String) throws -> Void = { _ in }) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("e2d-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try prepare(directory.path)
        prefix = "e2t\(getpid())\(UUID().uuidString.prefix(4))"
        let text = configuration.replacingOccurrences(of: "DIR", with: directory.path)
        try Data(text.utf8).write(to: directory.appendingPathComponent("e2d.json"))
        process.executableURL = E2Process.executable
        process.arguments = ["dataplane", "--config", path("e2d.json"), "--file-prefix", prefix, "--control", socketPath]
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        for _ in 0..<200 where client == nil {
            if let connected = try? DataplaneControlClient(path: socketPath) { client = connected } else { usleep(50_000) }
            guard process.isRunning else { break }
        }
        guard client != nil else {
            process.terminate()
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw StartFailed(message: "e2 dataplane did not start: \(message)")
        }
    }

    struct StartFailed: Error { var message: String }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Runs `e2 nf ...` attached to this E2D and returns the process (its output in `pipe`).
    func startNF(_ arguments: [String], output pipe: Pipe = Pipe()) throws -> Process {
        let nf = Process()
        nf.executableURL = E2Process.executable
        nf.arguments = ["nf"] + arguments
        nf.standardOutput = pipe
        nf.standardError = FileHandle.nullDevice
        try nf.run()
        return nf
    }

    /// Waits for an NF started with `startNF` and decodes its JSON counts.
    static func counts(of nf: Process, _ pipe: Pipe) throws -> [String: Double] {
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        nf.waitUntilExit()
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any], String(decoding: data, as: UTF8.self))
        return object.compactMapValues { $0 as? Double }
    }

    /// Stops E2D with SIGTERM and returns the statistics it printed.
    func stop() throws -> [String: Any] {
        client = nil
        kill(process.processIdentifier, SIGTERM)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Writes pcap files of UDP frames with Python's struct module (valid IPv4 checksums, so a
/// Linux router forwards them).
enum UDPPcap {
    static let writer = """
        import struct, sys
        def checksum(header):
            total = sum(struct.unpack("!10H", header))
            while total > 0xffff: total = (total & 0xffff) + (total >> 16)
            return (~total) & 0xffff
        path, count, flows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        dst_mac = bytes.fromhex(sys.argv[4].replace(":", "")) if len(sys.argv) > 4 else bytes([2,0,0,0,0,2])
        src_ip = bytes(map(int, (sys.argv[5] if len(sys.argv) > 5 else "10.0.0.1").split(".")))
        dst_ip = bytes(map(int, (sys.argv[6] if len(sys.argv) > 6 else "192.0.2.7").split(".")))
        with open(path, "wb") as out:
            out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for i in range(count):
                payload = struct.pack("!I", i) + bytes(14)
                udp = struct.pack("!HHHH", 1024 + i % flows, 9, 8 + len(payload), 0) + payload
                ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0, src_ip, dst_ip)
                ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
                frame = dst_mac + bytes([2,0,0,0,0,1]) + b"\\x08\\x00" + ip + udp
                out.write(struct.pack("<IIII", 1, i, len(frame), len(frame)) + frame)
        """

    static func write(_ path: String, count: Int, flows: Int, arguments: [String] = []) throws {
        _ = try ToolOutput.of("/usr/bin/python3", ["-c", writer, path, String(count), String(flows)] + arguments, requiringSuccess: true)
    }

    /// An empty pcap file (net_pcap needs an rx file for a tx-only port).
    static func writeEmpty(_ path: String) throws { try LocalCluster.writeEmptyPcap(path) }

    /// Waits until a growing pcap file stops growing.
    static func waitUntilStill(_ path: String, minimum: Int = 25) {
        var last = -1
        for _ in 0..<150 {
            usleep(100_000)
            let size = ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int) ?? 0
            if size >= minimum && size == last { return }
            last = size
        }
    }
}
