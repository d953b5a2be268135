import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `e2 bench dataplane`: E2D's forwarding rate against dpdk-testpmd, side by side.
struct DataplaneBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataplane",
        abstract: "Packets per second through E2D (net_null to net_null through a BPF classifier) against dpdk-testpmd io forwarding, and metadata against header match (Table 2).",
        discussion: "Both forward between two net_null ports in both directions on one core, in turn, for the same time; the figure is millions of packets per second received on both ports."
    )

    @Option(help: "Seconds per measurement.") var seconds: Double = 5
    @Flag(help: "Print JSON.") var json = false

    struct Result: Encodable {
        var e2dMpps: Double
        var testpmdMpps: Double
        var ratio: Double
        /// testpmd's mac mode, which writes every packet, and E2D's ratio to it.
        var testpmdMacMpps: Double
        var ratioToMac: Double
        var classifierRules: Int
        var hugepages: Bool
        /// Table 2: steering on a metadata tag against steering on a header field.
        var metadataMatch: MetadataMatchBench.Result
        /// Table 1 (native against legacy vports) and the per-rule update time.
        var vports: VportBench.Result
    }

    func run() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("e2-bench-dataplane-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("e2d.json")
        try Data(#"""
            {"ports": [{"name": "in", "device": "net_null0"}, {"name": "out", "device": "net_null1"}],
             "classifiers": [{"input": "in", "rules": [{"filter": "tcp port 80", "output": "drop"}], "default": "out"},
                             {"input": "out", "rules": [{"filter": "tcp port 80", "output": "drop"}], "default": "in"}],
             "memoryMegabytes": 512}
            """#.utf8).write(to: config)

        // E2D: run, stop with SIGTERM, read its own count and loop time.
        let e2d = Process()
        e2d.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        e2d.arguments = ["dataplane", "--config", config.path, "--file-prefix", "bench-e2d-\(getpid())"]
        let output = Pipe()
        e2d.standardOutput = output
        e2d.standardError = FileHandle.nullDevice
        try e2d.run()
        usleep(UInt32(seconds * 1_000_000))
        kill(e2d.processIdentifier, SIGTERM)
        let statistics = output.fileHandleForReading.readDataToEndOfFile()
        e2d.waitUntilExit()
        guard let parsed = try JSONSerialization.jsonObject(with: statistics) as? [String: Any],
              let ports = parsed["ports"] as? [String: [String: Double]], let received = ports.values.compactMap({ $0["received"] }).reduce(0, +) as Double?,
              let elapsed = parsed["seconds"] as? Double, elapsed > 0 else {
            throw ValidationError("e2 dataplane gave no statistics")
        }
        let e2dMpps = received / elapsed / 1e6

        // dpdk-testpmd between the same devices; its own per-second rates. io mode touches no
        // packet (the cost of net_null alone); mac mode writes each packet's addresses, as any
        // forwarder that looks at packets must touch them.
        guard let testpmd = ExternalTool(named: "dpdk-testpmd") else { throw ValidationError("dpdk-testpmd is missing (apt-get install dpdk-dev)") }
        func measureTestpmd(mode: String) throws -> Double {
            let peer = Process()
            peer.executableURL = URL(fileURLWithPath: testpmd.path)
            peer.arguments = ["-l", "0-1", "-m", "512", "--no-pci", "--in-memory", "--vdev=net_null0", "--vdev=net_null1", "--file-prefix", "bench-tpmd-\(getpid())",
                              "--", "--total-num-mbufs=16384", "--forward-mode=\(mode)", "--auto-start", "--stats-period", "1"]
            let peerOutput = Pipe()
            peer.standardOutput = peerOutput
            peer.standardError = FileHandle.nullDevice
            peer.standardInput = FileHandle.nullDevice
            try peer.run()
            let reader = Thread.detachNewThreadCollecting(peerOutput.fileHandleForReading)
            usleep(UInt32(seconds * 1_000_000))
            kill(peer.processIdentifier, SIGINT)
            peer.waitUntilExit()
            rmdir("/var/run/dpdk/bench-tpmd-\(getpid())")  // the empty folder DPDK leaves
            let text = reader.wait()
            // Lines "Rx-pps:  NNN  Rx-bps: ..." per port, every second; take the last full set.
            let rates = text.split(separator: "\n").filter { $0.contains("Rx-pps:") }.compactMap { line in
                line.split(separator: " ").drop { $0 != "Rx-pps:" }.dropFirst().first.flatMap { Double($0) }
            }
            guard rates.count >= 2 else { throw ValidationError("dpdk-testpmd printed no rates") }
            return rates.suffix(2).reduce(0, +) / 1e6
        }
        let testpmdMpps = try measureTestpmd(mode: "io")
        let testpmdMacMpps = try measureTestpmd(mode: "mac")

        let metadataMatch = try MetadataMatchBench(seconds: seconds).run()
        let vports = try VportBench(seconds: seconds, executable: e2d.executableURL!).run()
        let result = Result(e2dMpps: e2dMpps, testpmdMpps: testpmdMpps, ratio: e2dMpps / testpmdMpps, testpmdMacMpps: testpmdMacMpps,
                            ratioToMac: e2dMpps / testpmdMacMpps, classifierRules: 1,
                            hugepages: parsed["usesHugepages"] as? Bool ?? false, metadataMatch: metadataMatch, vports: vports)
        if json {
            print(try JSONOutput.encode(result))
        } else {
            print(String(format: "E2D (BPF classifier, 1 rule per port) %.2f Mpps; dpdk-testpmd io %.2f Mpps, ratio %.2fx; testpmd mac %.2f Mpps, ratio %.2fx (%@)",
                         result.e2dMpps, result.testpmdMpps, result.ratio, result.testpmdMacMpps, result.ratioToMac, result.hugepages ? "hugepages" : "--no-huge"))
            print(String(format: "Table 2, steering step alone (one core, 64 B): header field match %.2f Mpps (BPF classifier %.2f); metadata set + match %.2f Mpps; metadata/header %.2fx (paper, whole NF path: 0.94x)",
                         metadataMatch.headerMatchMpps, metadataMatch.bpfHeaderMatchMpps, metadataMatch.metadataMatchMpps, metadataMatch.metadataToHeaderRatio))
            print(String(format: "Table 1, NF -> E2D -> NF (E2D on CPU 0, both NFs on CPU 1): native vports %.3f Mpps at 64 B, %.2f Gbps at 1500 B; memif %.3f Mpps, %.2f Gbps; legacy (veth + af_packet) %.3f Mpps, %.2f Gbps; native/legacy %.1fx at 64 B (paper: 15.24 vs 0.929 Mpps, 16.4x)",
                         vports.native.mpps64, vports.native.gbps1500, vports.memif.mpps64, vports.memif.gbps1500, vports.legacy.mpps64, vports.legacy.gbps1500, vports.nativeToLegacy64))
            print(String(format: "Rule update (%d rules): one per request %.1f us on the dataplane thread, %.1f us round trip; batched %.2f us per rule applied, %.1f us per rule round trip (paper: 20 us)",
                         vports.ruleUpdate.rules, vports.ruleUpdate.singleAppliedMicros, vports.ruleUpdate.singleRoundTripMicros,
                         vports.ruleUpdate.batchedAppliedMicrosPerRule, vports.ruleUpdate.batchedRoundTripMicrosPerRule))
        }
    }
}

extension Thread {
    final class Collector: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var text = ""
        func finish(_ value: String) { text = value; done.signal() }
        func wait() -> String { done.wait(); return text }
    }

    /// Reads `handle` to its end on another thread.
    static func detachNewThreadCollecting(_ handle: FileHandle) -> Collector {
        let collector = Collector()
        Thread.detachNewThread { collector.finish(String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)) }
        return collector
    }
}
