import ArgumentParser
import E2Cluster
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `e2 agent`: the server agent.
struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run a server's agent: register with the manager, heartbeat, run E2D and the NF instances the plan puts here.",
        discussion: """
            The agent's E2D connects to the switch through --uplink (a memif socket of e2 switch). NF processes run on --cpu; \\
            one that exits is restarted with back-off and reported. SIGTERM stops the NFs, E2D and the agent.
            """
    )

    @Option(help: "The manager's URL, http://HOST:PORT.") var manager: String
    @Option(help: "The server's name (as the hardware description names it).") var name: String
    @Option(help: "Cores the server offers for NFs.") var cores: Int = 4
    @Option(help: "The switch port the server is cabled to.") var switchPort: Int
    @Option(help: "The memif socket of that switch port.") var uplink: String
    @Option(help: "Folder for the agent's files (E2D configuration, logs, control socket).") var dataDir: String
    @Option(help: "A controller token, when the manager has tokens.") var token: String?
    @Option(help: "The CPU E2D and the NFs run on.") var cpu: Int = 0
    @Option(help: "Seconds between heartbeats.") var heartbeatInterval: Double = 1
    @Option(help: "Extra arguments for an NF type's processes: TYPE=ARGS, such as 'NAT=--inside 10.0.0.0/8 --public 203.0.113.1' (repeatable).")
    var nfArgs: [String] = []

    func validate() throws {
        guard heartbeatInterval >= 0.05 && heartbeatInterval <= 60 else { throw ValidationError("--heartbeat-interval is 0.05-60 seconds") }
        for entry in nfArgs where !entry.contains("=") { throw ValidationError("--nf-args \(entry): expected TYPE=ARGS") }
    }

    func run() throws {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        var arguments: [String: [String]] = [:]
        for entry in nfArgs {
            let parts = entry.split(separator: "=", maxSplits: 1)
            arguments[String(parts[0]), default: []] += parts[1].split(separator: " ").map(String.init)
        }
        let settings = Agent.Settings(name: name, cores: cores, switchPort: switchPort, uplinkSocket: uplink,
                                      directory: URL(fileURLWithPath: dataDir), executable: URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath(),
                                      cpu: cpu, heartbeatInterval: heartbeatInterval, nfArguments: arguments)
        let name = self.name
        let agent = Agent(settings: settings, manager: ManagerClient(base: manager, token: token)) { line in
            FileHandle.standardError.write(Data("e2 agent \(name): \(line)\n".utf8))
        }
        let watch = ParentWatch()
        do {
            try agent.run {
                if watch.parentGone { return true }
                var pending = sigset_t()
                sigpending(&pending)
                return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1
            }
        } catch {
            FileHandle.standardError.write(Data("e2 agent \(name): \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
