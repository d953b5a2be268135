import ArgumentParser
import E2Dataplane
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Table 1 of the paper (NF -> E2D -> NF through native and through legacy vports) and the
/// per-rule update time of E2D's control socket, measured on real processes.
///
/// E2D runs on CPU 0; the source and the sink NF share CPU 1 (this machine has two cores),
/// for native and legacy vports alike. The figure is what the sink received per second.
struct VportBench {
    let seconds: Double
    let executable: URL

    struct Result: Encodable {
        struct Rate: Encodable {
            var mpps64: Double
            var gbps1500: Double
        }
        var native: Rate
        /// The alternative for native NFs: memif ports (E2D server, NF client), measured the same way.
        var memif: Rate
        var legacy: Rate
        /// native / legacy at 64 B (paper: 15.24 / 0.929 = 16.4x).
        var nativeToLegacy64: Double
        var ruleUpdate: RuleUpdate
    }

    struct RuleUpdate: Encodable {
        var rules: Int
        /// One rule per request: time on the dataplane thread, and the whole request as the client sees it.
        var singleAppliedMicros: Double
        var singleRoundTripMicros: Double
        /// All rules in one batch request, per rule.
        var batchedAppliedMicrosPerRule: Double
        var batchedRoundTripMicrosPerRule: Double
    }

    func run() throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("e2-bench-vports-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tag = String(getpid() % 100_000)
        let (legacyIn, legacyOut) = ("e2bi\(tag)", "e2bo\(tag)")
        let config = directory.appendingPathComponent("e2d.json")
        try Data("""
            {"ports": [{"name": "null", "device": "net_null0"},
                       {"name": "ma", "device": "net_memif_a", "args": "role=server,socket=\(directory.path)/ma.sock,id=0"},
                       {"name": "mb", "device": "net_memif_b", "args": "role=server,socket=\(directory.path)/mb.sock,id=0"}],
             "vports": [{"name": "a", "kind": "native", "ringSize": 4096}, {"name": "b", "kind": "native", "ringSize": 4096},
                        {"name": "la", "kind": "legacy", "interface": "\(legacyIn)"}, {"name": "lb", "kind": "legacy", "interface": "\(legacyOut)"}],
             "modules": [{"name": "fromA", "type": "input", "port": "a"}, {"name": "toB", "type": "output", "port": "b"},
                         {"name": "fromLA", "type": "input", "port": "la"}, {"name": "toLB", "type": "output", "port": "lb"},
                         {"name": "fromMA", "type": "input", "port": "ma"}, {"name": "toMB", "type": "output", "port": "mb"},
                         {"name": "rules", "type": "classifier", "gates": 1, "rules": [], "defaultGate": 0}],
             "links": [{"from": "fromA", "to": "toB"}, {"from": "fromLA", "to": "toLB"}, {"from": "fromMA", "to": "toMB"}],
             "memoryMegabytes": 512}
            """.utf8).write(to: config)
        let prefix = "bench-vp-\(getpid())"
        let socket = directory.appendingPathComponent("control.sock").path
        let e2d = Process()
        e2d.executableURL = executable
        e2d.arguments = ["dataplane", "--config", config.path, "--file-prefix", prefix, "--control", socket, "--lcores", "0@0"]
        e2d.standardOutput = FileHandle.nullDevice
        e2d.standardError = FileHandle.nullDevice
        try e2d.run()
        defer {
            kill(e2d.processIdentifier, SIGTERM)
            e2d.waitUntilExit()
        }
        var client: DataplaneControlClient?
        for _ in 0..<100 where client == nil {
            client = try? DataplaneControlClient(path: socket)
            if client == nil { usleep(50_000) }
        }
        guard let client else { throw ValidationError("e2 dataplane did not start") }
        // Quiet the legacy interfaces: no IPv6 chatter into the measurement.
        for interface in [legacyIn, legacyOut] {
            try? Data("1".utf8).write(to: URL(fileURLWithPath: "/proc/sys/net/ipv6/conf/\(interface)/disable_ipv6"))
        }
        let vports = try client.statistics().vports
        guard let sourceLcore = vports["a"]?.nfLcore, let sinkLcore = vports["b"]?.nfLcore else { throw ValidationError("no lcores for the native vports") }

        enum Path { case native, memif, legacy }
        func measure(_ size: Int, _ path: Path) throws -> (mpps: Double, gbps: Double) {
            let common = ["--size", String(size), "--seconds", String(seconds)]
            let sinkArguments, sourceArguments: [String]
            switch path {
            case .native:
                sinkArguments = ["sink", "--dataplane", prefix, "--lcore", String(sinkLcore), "--cpu", "1", "--vport", "b"]
                sourceArguments = ["source", "--dataplane", prefix, "--lcore", String(sourceLcore), "--cpu", "1", "--vport", "a"]
            case .memif:
                sinkArguments = ["sink", "--memif", directory.path + "/mb.sock", "--lcore", "1", "--cpu", "1"]
                sourceArguments = ["source", "--memif", directory.path + "/ma.sock", "--lcore", "1", "--cpu", "1"]
            case .legacy:
                sinkArguments = ["sink", "--interface", legacyOut]
                sourceArguments = ["source", "--interface", legacyIn]
            }
            let legacy = path == .legacy
            let sink = try start(sinkArguments + ["--seconds", String(seconds + 1.5)], legacy: legacy)
            usleep(path == .memif ? 800_000 : 300_000)  // a memif client needs a moment to connect
            let source = try start(sourceArguments + common, legacy: legacy)
            _ = try finish(source, legacy: legacy)
            let counts = try finish(sink, legacy: legacy)
            // The sink ran one second longer than the source; rate over the source's time.
            let packets = counts["packets"] ?? 0, bytes = counts["bytes"] ?? 0
            return (packets / seconds / 1e6, bytes * 8 / seconds / 1e9)
        }
        let native64 = try measure(64, .native), native1500 = try measure(1500, .native)
        let memif64 = try measure(64, .memif), memif1500 = try measure(1500, .memif)
        let legacy64 = try measure(64, .legacy), legacy1500 = try measure(1500, .legacy)

        // Per-rule update time: 100 rules one request each, then 100 in one batch, then removed.
        let count = 100
        var applied = 0.0, roundTrip = 0.0
        for index in 0..<count {
            let start = ContinuousClock.now
            applied += try client.addRules([.init(filter: "udp dst port \(10_000 + index)", gate: 0)], to: "rules")
            roundTrip += Self.micros(ContinuousClock.now - start)
        }
        try client.removeRules((0..<count).map { "udp dst port \(10_000 + $0)" }, from: "rules")
        let batchStart = ContinuousClock.now
        let batch = try client.batch([ControlRequest(op: .addRules, name: "rules", rules: (0..<count).map { .init(filter: "udp dst port \(20_000 + $0)", gate: 0) })])
        let batchRoundTrip = Self.micros(ContinuousClock.now - batchStart)
        let update = RuleUpdate(rules: count, singleAppliedMicros: applied / Double(count), singleRoundTripMicros: roundTrip / Double(count),
                                batchedAppliedMicrosPerRule: (batch.appliedMicros ?? 0) / Double(count), batchedRoundTripMicrosPerRule: batchRoundTrip / Double(count))
        return Result(native: .init(mpps64: native64.mpps, gbps1500: native1500.gbps), memif: .init(mpps64: memif64.mpps, gbps1500: memif1500.gbps),
                      legacy: .init(mpps64: legacy64.mpps, gbps1500: legacy1500.gbps),
                      nativeToLegacy64: native64.mpps / max(legacy64.mpps, 1e-9), ruleUpdate: update)
    }

    static func micros(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
    }

    /// Starts `e2 nf ...`; legacy NFs are pinned to CPU 1 with taskset, as native ones pin themselves.
    func start(_ arguments: [String], legacy: Bool) throws -> (Process, Thread.Collector) {
        let process = Process()
        if legacy {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
            process.arguments = ["-c", "1", executable.path, "nf"] + arguments
        } else {
            process.executableURL = executable
            process.arguments = ["nf"] + arguments
        }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, Thread.detachNewThreadCollecting(output.fileHandleForReading))
    }

    func finish(_ started: (Process, Thread.Collector), legacy: Bool) throws -> [String: Double] {
        let text = started.1.wait()
        started.0.waitUntilExit()
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw ValidationError("e2 nf printed no counts (exit \(started.0.terminationStatus))")
        }
        return object.compactMapValues { $0 as? Double }
    }
}
