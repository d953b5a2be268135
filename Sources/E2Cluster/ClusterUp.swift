import E2API
import E2Dataplane
import E2Engine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `e2 up`: the whole system on one machine, started as its users would run it: the manager,
/// the software switch, one agent per server (each with its E2D and NFs) and a traffic
/// generator on the switch's external ports, all separate processes; the policy, the NF
/// descriptions and a hardware description matching what was started go in through the API.
public final class ClusterUp {
    public struct Settings: Sendable {
        public var servers: Int
        public var policy: String
        public var nfs: String
        public var coresPerServer: Int
        public var rate: Double
        public var flows: Int
        public var directory: URL
        public var executable: URL
        public var heartbeatTimeout: Double
        /// The traffic mix (`fig13`, `fig14`) and the NFs' arguments that go with it.
        public var mix: String

        public init(servers: Int, policy: String, nfs: String, coresPerServer: Int, rate: Double, flows: Int, directory: URL, executable: URL,
                    heartbeatTimeout: Double, mix: String = "fig13") {
            self.servers = servers
            self.policy = policy
            self.nfs = nfs
            self.coresPerServer = coresPerServer
            self.rate = rate
            self.flows = flows
            self.directory = directory
            self.executable = executable
            self.heartbeatTimeout = heartbeatTimeout
            self.mix = mix
        }
    }

    /// What `e2 up` shows and prints at the end.
    public struct Snapshot: Codable, Sendable {
        public struct Server: Codable, Sendable {
            public var name: String
            public var state: String
            public var instances: [String]
            public var agentPid: Int32
            public var received: UInt64
            public var sent: UInt64
            public var drops: UInt64
            public var droppedByPolicy: UInt64
            /// CPU use of the agent, its E2D and its NFs since the last snapshot, in % of one core.
            public var cpuPercent: Double
        }
        public var manager: String
        public var directory: String
        public var seconds: Double
        public var servers: [Server]
        public var switchEntriesUsed: Int?
        public var switchEntries: Int?
        public var trafficSent: UInt64
        public var trafficReceived: UInt64
        public var sentPerClass: [String: UInt64]
        public var flowsStarted: UInt64
        /// Flows seen leaving, per external port (active in the last 5 s).
        public var flowsOut: [String: Int]
        public var problem: String?
    }

    public let settings: Settings
    public private(set) var managerURL = ""
    var processes: [(name: String, process: Process)] = []
    public private(set) var agentPids: [String: Int32] = [:]
    let started = Date()
    var externalPorts: [Int] = []
    var ingressPorts: [Int] = []
    public let policyText: String
    let catalog: NFCatalog

    public init(settings: Settings) throws {
        self.settings = settings
        guard let policy = FileManager.default.contents(atPath: settings.policy) else { throw WiringError("cannot read the policy \(settings.policy)") }
        guard let nfs = FileManager.default.contents(atPath: settings.nfs) else { throw WiringError("cannot read the NF descriptions \(settings.nfs)") }
        policyText = String(decoding: policy, as: UTF8.self)
        do { catalog = try NFCatalog.decode(json: nfs) } catch { throw WiringError("\(settings.nfs): \(error)") }
        let checked = PolicyChecker.check([.init(name: settings.policy, text: policyText)], catalog: catalog)
        guard let graph = checked.graph else {
            throw WiringError("\(settings.policy) is not a valid policy: \(checked.diagnostics.map { "\($0)" }.joined(separator: "; "))")
        }
        // Native NFs attach to their server's E2D as DPDK secondary processes, which needs E2D's
        // memory in hugepages: 256 MiB per server and for the switch.
        let needed = 256 * (settings.servers + 1)
        let hugepages = HugepageStatus.current()
        guard hugepages.canBack(megabytes: needed) else {
            throw WiringError("native NFs need \(needed) MiB of free hugepages for \(settings.servers) servers and the switch; "
                              + "\(hugepages.free * hugepages.pageKilobytes / 1024) MiB are free"
                              + (hugepages.mountPoints.isEmpty ? " and hugetlbfs is not mounted" : "") + " (sudo scripts/setup reserves them)")
        }
        let context = try PolicyContext(policies: [policyText])
        externalPorts = context.portGroups.values.flatMap { $0 }.sorted()
        // Traffic enters through the port group the first pipelet starts from.
        let first = graph.edges.filter { context.portGroups[$0.from] != nil }.min { $0.pipelet < $1.pipelet }?.from
        ingressPorts = first.flatMap { context.portGroups[$0] } ?? []
    }

    var switchSocket: String { settings.directory.appendingPathComponent("switch.sock").path }
    func serverName(_ index: Int) -> String { "server\(index + 1)" }
    func serverPort(_ index: Int) -> Int { 100 + index }

    /// The hardware description of what `e2 up` starts.
    public var hardwareJSON: String {
        let servers = (0..<settings.servers).map {
            #"{"name": "\#(serverName($0))", "cores": \#(settings.coresPerServer + 1), "ghz": 2.6, "nicGbps": 10, "switchPort": \#(serverPort($0)), "dataplaneCores": 1}"#
        }
        return #"{"switch": {"model": "e2 switch (software, memif links)", "ports": 128, "portGbps": 10, "flowTableEntries": 4096, "ruleUpdateMs": 1, "actions": ["forward", "flowIdRange", "encap"]}, "servers": [\#(servers.joined(separator: ", "))]}"#
    }

    func launch(_ name: String, _ arguments: [String], output: Pipe? = nil) throws -> Process {
        let process = try ChildProcess.launch(settings.executable, arguments, log: settings.directory.appendingPathComponent("\(name).log"), output: output)
        processes.append((name, process))
        return process
    }

    /// Starts everything and submits the descriptions and the policy; `progress` hears each step.
    public func start(progress: (String) -> Void) throws {
        let directory = settings.directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // The manager, which programs the switch from every placement.
        let managerOutput = Pipe()
        _ = try launch("manager", ["manager", "--listen", "127.0.0.1:0", "--data-dir", directory.appendingPathComponent("manager").path,
                                   "--heartbeat-timeout", String(settings.heartbeatTimeout), "--switch-control", switchSocket], output: managerOutput)
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = managerOutput.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let at = text.range(of: "http://") else { throw WiringError("the manager did not start: \(text)") }
        managerURL = String(text[at.lowerBound...].prefix { !$0.isWhitespace })
        try Data(managerURL.utf8).write(to: directory.appendingPathComponent("manager.url"))
        progress("manager at \(managerURL)")

        // The switch: external ports (memif servers the traffic generator attaches to) and a port per server.
        var ports: [DataplaneConfiguration.Port] = externalPorts.map {
            .init(name: "ext\($0)", device: "net_memif_x\($0)", args: "role=server,socket=\(directory.path)/x\($0).sock,id=0")
        }
        ports += (0..<settings.servers).map {
            .init(name: "srv\(serverPort($0))", device: "net_memif_s\(serverPort($0))", args: "role=server,socket=\(directory.path)/s\(serverPort($0)).sock,id=0")
        }
        try JSONEncoder().encode(DataplaneConfiguration(ports: ports, memoryMegabytes: 256)).write(to: directory.appendingPathComponent("switch.json"))
        _ = try launch("switch", ["switch", "--config", directory.appendingPathComponent("switch.json").path, "--control", switchSocket,
                                  "--file-prefix", "e2up-sw-\(getpid())", "--lcores", "0@0"])
        for _ in 0..<200 where (try? DataplaneControlClient(path: switchSocket)) == nil { usleep(50_000) }
        progress("switch with \(ports.count) ports")

        // One agent per server.
        for index in 0..<settings.servers {
            let name = serverName(index)
            let agent = try launch(name, ["agent", "--manager", managerURL, "--name", name, "--cores", String(settings.coresPerServer),
                                          "--switch-port", String(serverPort(index)), "--uplink", "\(directory.path)/s\(serverPort(index)).sock",
                                          "--data-dir", directory.appendingPathComponent(name).path, "--cpu", String((index + 1) % 2),
                                          "--nf-args", settings.mix == "fig14" ? "NAT=--inside 10.12.30.0/24 --public 131.114.88.93" : "NAT=--inside 10.0.0.0/8 --public 203.0.113.1",
                                          "--nf-args", "FW=--allow 53,80,443", "--nf-args", "IDS=--signature attack"])
            agentPids[name] = agent.processIdentifier
        }
        // Where each agent runs, for operators (and for tests that fail one on purpose).
        try JSONEncoder().encode(agentPids).write(to: directory.appendingPathComponent("agents.json"))
        progress("\(settings.servers) agents")

        // The descriptions and the policy, through the API.
        let client = ManagerClient(base: managerURL)
        for (method, path, body, type) in [("PUT", "/v1/nf-types", try Data(contentsOf: URL(fileURLWithPath: settings.nfs)), "application/json"),
                                           ("PUT", "/v1/hardware", Data(hardwareJSON.utf8), "application/json"),
                                           ("POST", "/v1/pipelets", Data(policyText.utf8), "text/x-e2-policy")] {
            let result = try HTTPClient.fetch(method, managerURL + path, headers: [("Content-Type", type)], body: Array(body))
            guard (200..<300).contains(result.status) else {
                throw WiringError("\(method) \(path) answered \(result.status): \(String(decoding: result.body, as: UTF8.self))")
            }
        }
        _ = client
        progress("policy, NF descriptions and hardware submitted")

        // Traffic into the policy's ingress ports; every external port counts what leaves.
        var arguments = ["traffic", "--rate", String(settings.rate), "--flows", String(settings.flows), "--status", directory.appendingPathComponent("traffic.json").path,
                         "--cpu", "1", "--mix", settings.mix]
        arguments += externalPorts.flatMap { ["--port", "\($0)=\(directory.path)/x\($0).sock"] }
        arguments += ingressPorts.flatMap { ["--send", String($0)] }
        _ = try launch("traffic", arguments)
        progress("traffic at \(Int(settings.rate)) packets/s into ports \(ingressPorts.map(String.init).joined(separator: ","))")
    }

    struct TrafficStatus: Decodable {
        var sent: [String: UInt64]
        var received: [String: UInt64]
        var sentPerClass: [String: UInt64]
        var flowsStarted: UInt64
        var flowsOut: [String: Int]?
    }

    /// The state now, from the manager, the switch, each agent's E2D and the traffic generator.
    public func snapshot() -> Snapshot {
        var snapshot = Snapshot(manager: managerURL, directory: settings.directory.path, seconds: Date().timeIntervalSince(started), servers: [],
                                trafficSent: 0, trafficReceived: 0, sentPerClass: [:], flowsStarted: 0, flowsOut: [:])
        struct Status: Decodable {
            struct Server: Decodable { var name: String; var state: String; var instances: [String] }
            var servers: [Server]
            var switchTable: [String: Int]
            var problem: String?
        }
        let status = (try? HTTPClient.fetch("GET", managerURL + "/v1/status")).flatMap { try? JSONDecoder().decode(Status.self, from: Data($0.body)) }
        snapshot.switchEntriesUsed = status?.switchTable["used"]
        snapshot.switchEntries = status?.switchTable["entries"]
        snapshot.problem = status?.problem
        for index in 0..<settings.servers {
            let name = serverName(index)
            let server = status?.servers.first { $0.name == name }
            var entry = Snapshot.Server(name: name, state: server?.state ?? "starting", instances: server?.instances ?? [], agentPid: agentPids[name] ?? 0,
                                        received: 0, sent: 0, drops: 0, droppedByPolicy: 0, cpuPercent: cpuPercent(of: agentPids[name] ?? 0, name: name))
            let socket = settings.directory.appendingPathComponent(name).appendingPathComponent("e2d.sock").path
            if let statistics = try? DataplaneControlClient(path: socket).statistics() {
                entry.received = statistics.ports["uplink"]?.received ?? 0
                entry.sent = statistics.ports["uplink"]?.sent ?? 0
                entry.drops = statistics.ports.values.map(\.dropped).reduce(0, +) + statistics.vports.values.map(\.drops).reduce(0, +)
                entry.droppedByPolicy = statistics.droppedByPolicy
            }
            snapshot.servers.append(entry)
        }
        if let data = FileManager.default.contents(atPath: settings.directory.appendingPathComponent("traffic.json").path),
           let traffic = try? JSONDecoder().decode(TrafficStatus.self, from: data) {
            snapshot.trafficSent = traffic.sent.values.reduce(0, +)
            snapshot.trafficReceived = traffic.received.values.reduce(0, +)
            snapshot.sentPerClass = traffic.sentPerClass
            snapshot.flowsStarted = traffic.flowsStarted
            snapshot.flowsOut = traffic.flowsOut ?? [:]
        }
        return snapshot
    }

    /// CPU ticks used so far by each server's process tree, and when they were read.
    var cpuSeen: [String: (ticks: UInt64, at: Date)] = [:]

    /// The CPU use of a process and its children since the last call, in % of one core.
    func cpuPercent(of pid: Int32, name: String) -> Double {
        guard pid > 0 else { return 0 }
        var ticks: UInt64 = 0
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let candidate = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Fields after the command: state, ppid, ..., utime (14th field), stime (15th).
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 13, let parent = Int32(fields[1]), candidate == pid || parent == pid,
                  let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { continue }
            ticks += user + system
        }
        let now = Date()
        defer { cpuSeen[name] = (ticks, now) }
        guard let last = cpuSeen[name], now.timeIntervalSince(last.at) > 0, ticks >= last.ticks else { return 0 }
        let hertz = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (Double(ticks - last.ticks) / hertz) / now.timeIntervalSince(last.at) * 100
    }

    /// Stops traffic, agents (and with them their E2Ds and NFs), the switch and the manager.
    public func stop() {
        for name in ["traffic"] + (0..<settings.servers).map(serverName) + ["switch", "manager"] {
            for entry in processes where entry.name == name && entry.process.isRunning {
                kill(entry.process.processIdentifier, SIGTERM)
            }
            for entry in processes where entry.name == name { entry.process.waitUntilExit() }
        }
        processes.removeAll()
    }

    deinit { stop() }
}
