import ArgumentParser
import E2Cluster
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `e2 up`: the embedded cluster, the README's main command.
struct UpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Run a whole E2 cluster on this machine: manager, switch, agents with E2D and NFs, and traffic.",
        discussion: """
            Starts e2 manager, e2 switch, one e2 agent per server (each runs its E2D and NF processes) and e2 traffic on the \\
            switch's external ports; submits the NF descriptions, a hardware description of what it started and the policy \\
            through the API, then shows a status table refreshed every second. The API stays reachable (its URL is printed \\
            first), so curl works meanwhile. Ctrl-C or --duration stops everything and prints a summary (JSON with --json).
            """
    )

    @Option(help: "Servers to start.") var servers: Int = 2
    @Option(help: "The policy (default: examples/fig13-bng.e2).") var policy: String?
    @Option(help: "The NF descriptions (default: examples/nfs.json).") var nfs: String?
    @Option(help: "Stop after this many seconds (0: until Ctrl-C).") var duration: Double = 0
    @Option(help: "Packets per second the traffic generator offers.") var rate: Double = 2000
    @Option(help: "Concurrent flows of the generator.") var flows: Int = 200
    @Option(help: "NF cores per server in the hardware description (planning capacity).") var coresPerServer: Int = 6
    @Option(help: "Seconds without a heartbeat before the manager declares an agent failed.") var heartbeatTimeout: Double = 3
    @Option(help: "Folder for the cluster's files (default: a new one under /tmp).") var directory: String?
    @Option(help: "The traffic mix and NF settings: fig13 or fig14 (default: fig14 for a policy named fig14..., else fig13).") var mix: String?
    @Flag(help: "Print the summary as JSON.") var json = false

    func validate() throws {
        guard (1...8).contains(servers) else { throw ValidationError("--servers is 1-8") }
        guard rate > 0 && rate <= 10_000_000 else { throw ValidationError("--rate is 1-10000000 packets per second") }
        guard coresPerServer >= 1 else { throw ValidationError("--cores-per-server is at least 1") }
        if let mix, !["fig13", "fig14"].contains(mix) { throw ValidationError("--mix is fig13 or fig14") }
    }

    /// `examples/NAME` beside the working directory, else in the repository the executable was
    /// built in, else where the image installs them (/usr/share/e2/examples).
    static func example(_ name: String) -> String {
        let local = "examples/\(name)"
        if FileManager.default.fileExists(atPath: local) { return local }
        let installed = "/usr/share/e2/examples/\(name)"
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("examples/\(name)")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate.path }
            directory.deleteLastPathComponent()
        }
        return FileManager.default.fileExists(atPath: installed) ? installed : local
    }

    func run() throws {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let folder = URL(fileURLWithPath: directory ?? "/tmp/e2-up-\(getpid())")
        let settings = ClusterUp.Settings(
            servers: servers, policy: policy ?? Self.example("fig13-bng.e2"), nfs: nfs ?? Self.example("nfs.json"), coresPerServer: coresPerServer,
            rate: rate, flows: flows, directory: folder, executable: URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath(),
            heartbeatTimeout: heartbeatTimeout,
            mix: mix ?? ((policy.map { URL(fileURLWithPath: $0).lastPathComponent.hasPrefix("fig14") } ?? false) ? "fig14" : "fig13"))
        let cluster: ClusterUp
        do {
            cluster = try ClusterUp(settings: settings)
        } catch {
            FileHandle.standardError.write(Data("e2 up: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let say = { (line: String) in FileHandle.standardError.write(Data("e2 up: \(line)\n".utf8)) }
        do {
            try cluster.start(progress: say)
        } catch {
            say("\(error)")
            cluster.stop()
            throw ExitCode(1)
        }
        let interactive = isatty(STDOUT_FILENO) == 1 && !json
        let start = Date()
        var last = cluster.snapshot()
        var firstTraffic: Double?
        while true {
            var pending = sigset_t()
            sigpending(&pending)
            if sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1 { break }
            if duration > 0 && Date().timeIntervalSince(start) >= duration { break }
            Thread.sleep(forTimeInterval: 1)
            let now = cluster.snapshot()
            if firstTraffic == nil && now.trafficReceived > 0 { firstTraffic = Date().timeIntervalSince(start) }
            let table = Self.table(now, previous: last)
            if interactive {
                FileHandle.standardOutput.write(Data(("\u{1B}[H\u{1B}[2J" + table).utf8))
            } else if !json {
                FileHandle.standardOutput.write(Data((table + "\n").utf8))
            }
            last = now
        }
        let summary = cluster.snapshot()
        cluster.stop()
        if json {
            var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(summary)) as? [String: Any] ?? [:]
            object["secondsToFirstTraffic"] = firstTraffic
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
        } else {
            print(String(format: "e2 up: %.0f s; %llu packets sent, %llu left the switch's external ports (%.1f%%); first traffic out after %@",
                         summary.seconds, summary.trafficSent, summary.trafficReceived,
                         summary.trafficSent == 0 ? 0 : 100 * Double(summary.trafficReceived) / Double(summary.trafficSent),
                         firstTraffic.map { String(format: "%.1f s", $0) } ?? "never"))
        }
    }

    /// The status table: per server its state, instances and packets per second.
    static func table(_ now: ClusterUp.Snapshot, previous: ClusterUp.Snapshot) -> String {
        let elapsed = max(now.seconds - previous.seconds, 0.001)
        var lines = [String(format: "E2 cluster — manager %@ — %.0f s — switch entries %d/%d%@", now.manager, now.seconds,
                            now.switchEntriesUsed ?? 0, now.switchEntries ?? 0, now.problem.map { " — \($0)" } ?? "")]
        lines.append("server     state    in pkt/s  out pkt/s  policy drops  other drops   CPU %  instances")
        for server in now.servers {
            let before = previous.servers.first { $0.name == server.name }
            let rateIn = Double(server.received - min(server.received, before?.received ?? 0)) / elapsed
            let rateOut = Double(server.sent - min(server.sent, before?.sent ?? 0)) / elapsed
            lines.append(String(format: "%-10@ %-8@ %9.0f  %9.0f  %12llu  %11llu  %6.1f  %@", server.name, server.state, rateIn, rateOut,
                                server.droppedByPolicy, server.drops, server.cpuPercent, server.instances.joined(separator: " ")))
        }
        let sent = Double(now.trafficSent - min(now.trafficSent, previous.trafficSent)) / elapsed
        let received = Double(now.trafficReceived - min(now.trafficReceived, previous.trafficReceived)) / elapsed
        lines.append(String(format: "traffic: %.0f pkt/s in, %.0f pkt/s out of the external ports; %llu flows started, %d seen leaving; sent %@",
                            sent, received, now.flowsStarted, now.flowsOut.values.reduce(0, +),
                            now.sentPerClass.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        return lines.joined(separator: "\n") + "\n"
    }
}
