import E2Dataplane
import E2Engine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A whole E2 dataplane on one machine: the software switch and one E2D per server, linked by
/// memif ports, with a native NF process per instance, all configured from a plan. External
/// switch ports are pcap files (traffic in, what leaves out).
///
/// This is what the agents and `e2 up` drive; it starts real processes (`e2 dataplane`,
/// `e2 nf`) and talks to each E2D through its control socket.
public final class LocalCluster {
    public struct ExternalPort: Sendable {
        /// A pcap to replay into the port (nil: nothing comes in).
        public var input: String?
        /// Where what leaves by the port is written (nil: discarded).
        public var output: String?
        public init(input: String? = nil, output: String? = nil) {
            self.input = input
            self.output = output
        }
    }

    public let plan: ClusterPlan
    public let context: PolicyContext
    public let catalog: NFCatalog
    public let tags: TagAssignments
    public let directory: URL
    let executable: URL
    let externalPorts: [Int: ExternalPort]
    /// Extra `e2 nf` arguments per NF type (NAT's inside prefix, the VPN's key, ...).
    let nfArguments: [String: [String]]
    let name = "e2c\(getpid() % 100_000)"

    public private(set) var switchConfiguration: DataplaneConfiguration
    public private(set) var servers: [ServerWiring] = []
    var deferredInputs: (modules: [ModuleSpec], links: [LinkSpec]) = ([], [])
    var processes: [String: Process] = [:]
    var namespaces: [String] = []
    public private(set) var clients: [String: DataplaneControlClient] = [:]

    public init(policies: [String], catalog: NFCatalog, hardware: HardwareDescription, overrides: [EdgeRates.Override] = [],
                directory: URL, executable: URL, externalPorts: [Int: ExternalPort], nfArguments: [String: [String]] = [:]) throws {
        let checked = PolicyChecker.check(policies.enumerated().map { .init(name: "policy\($0.offset + 1)", text: $0.element) }, catalog: catalog)
        guard let graph = checked.graph else { throw WiringError("the policy is not valid: \(checked.diagnostics.map { "\($0)" }.joined(separator: "; "))") }
        plan = try ClusterPlan.make(graph, catalog: catalog, hardware: hardware, overrides: overrides).plan
        context = try PolicyContext(policies: policies)
        self.catalog = catalog
        tags = try TagAssignments(portGroups: Array(context.portGroups.keys), catalog: catalog)
        self.directory = directory
        self.executable = executable
        self.externalPorts = externalPorts
        self.nfArguments = nfArguments
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

        // Devices: external ports are pcap files, server ports memif servers, uplinks memif clients.
        var ports: [Int: DataplaneConfiguration.Port] = [:]
        let empty = directory.appendingPathComponent("empty.pcap").path
        try Self.writeEmptyPcap(empty)
        for number in Set(context.portGroups.values.flatMap { $0 }) {
            let external = externalPorts[number] ?? ExternalPort()
            var args = "rx_pcap=\(external.input ?? empty)"
            args += ",tx_pcap=" + (external.output ?? directory.appendingPathComponent("discard\(number).pcap").path)
            ports[number] = .init(name: "ext\(number)", device: "net_pcap_ext\(number)", args: args)
        }
        for server in plan.interconnection.servers {
            ports[server.switchPort] = .init(name: "srv\(server.switchPort)", device: "net_memif_s\(server.switchPort)",
                                             args: "role=server,socket=\(directory.path)/s\(server.switchPort).sock,id=0")
        }
        let compiled = try SwitchWiringCompiler(context: context, catalog: catalog, tags: tags, ports: ports).compile(plan.interconnection)
        // External inputs join once every link is up, so no packet meets a link still down.
        let externalInputs = Set(compiled.modules.filter { $0.type == .input && ($0.port?.hasPrefix("ext") ?? false) }.map(\.name))
        deferredInputs = (compiled.modules.filter { externalInputs.contains($0.name) }, compiled.links.filter { externalInputs.contains($0.source?.module ?? "") })
        switchConfiguration = compiled
        switchConfiguration.modules.removeAll { externalInputs.contains($0.name) }
        switchConfiguration.links.removeAll { externalInputs.contains($0.source?.module ?? "") }

        for (index, server) in plan.interconnection.servers.enumerated() {
            let uplink = DataplaneConfiguration.Port(name: "uplink", device: "net_memif_up",
                                                     args: "role=client,socket=\(directory.path)/s\(server.switchPort).sock,id=0")
            let compiler = ServerWiringCompiler(addresses: context.addresses, catalog: catalog, tags: tags, uplink: uplink, interfacePrefix: "e2l\(index)v")
            servers.append(try compiler.compile(server))
        }
    }

    /// An empty pcap file: what net_pcap reads from a port that only sends.
    public static func writeEmptyPcap(_ path: String) throws {
        var header = Data()
        for value: UInt32 in [0xa1b2_c3d4] { withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) } }
        for value: UInt16 in [2, 4] { withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) } }
        for value: UInt32 in [0, 0, 65535, 1] { withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) } }
        try header.write(to: URL(fileURLWithPath: path))
    }

    /// Starts the switch, the servers' E2Ds and the NFs; returns when every link is up.
    public func start(timeout: Double = 30) throws {
        try startDataplane("switch", configuration: switchConfiguration, cpu: 0)
        for (index, server) in servers.enumerated() {
            try startDataplane(server.server, configuration: server.configuration, cpu: (index + 1) % 2)
        }
        for (index, server) in servers.enumerated() {
            guard let client = clients[server.server] else { continue }
            let vports = try client.statistics().vports
            for instance in server.instances where instance.api == .native {
                try startNF(instance, server: server.server, vports: vports, cpu: index % 2)
            }
            for instance in server.instances where instance.api == .legacy {
                let namespace = LegacyNF.namespace(prefix: name, instance: instance.id)
                try LegacyNF.start(instance, namespace: namespace)
                namespaces.append(namespace)
            }
        }
        let deadline = Date().addingTimeInterval(timeout)
        for name in ["switch"] + servers.map(\.server) {
            while true {
                let statistics = try clients[name]!.statistics()
                if statistics.ports.values.allSatisfy({ $0.linkUp != false }) { break }
                guard Date() < deadline else { throw WiringError("\(name): links still down after \(timeout) s: \(statistics.ports.filter { $0.value.linkUp == false }.keys.sorted())") }
                usleep(100_000)
            }
        }
    }

    /// Lets traffic in: the switch starts reading its external ports.
    public func startTraffic() throws {
        guard let client = clients["switch"] else { throw WiringError("the switch is not running") }
        try client.batch(deferredInputs.modules.map { ControlRequest(op: .addModule, module: $0) }
                         + deferredInputs.links.map { ControlRequest(op: .addLink, link: $0) })
    }

    /// Statistics of the switch and every server's E2D.
    public func statistics() throws -> [String: DataplaneStatistics] {
        var all: [String: DataplaneStatistics] = [:]
        for (name, client) in clients { all[name] = try client.statistics() }
        return all
    }

    /// Stops NFs first, then every E2D; returns each E2D's final statistics text.
    @discardableResult
    public func stop() -> [String: String] {
        clients.removeAll()
        var outputs: [String: String] = [:]
        let order = processes.keys.sorted { ($0.hasPrefix("nf:") ? 0 : 1, $0) < ($1.hasPrefix("nf:") ? 0 : 1, $1) }
        for name in order {
            guard let process = processes[name] else { continue }
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            process.waitUntilExit()
            if let pipe = process.standardOutput as? Pipe {
                outputs[name] = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            }
        }
        processes.removeAll()
        for namespace in namespaces { LegacyNF.stop(namespace: namespace) }
        namespaces.removeAll()
        return outputs
    }

    deinit {
        for process in processes.values where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        for namespace in namespaces { LegacyNF.stop(namespace: namespace) }
    }

    func prefix(_ server: String) -> String { "\(name)-\(server)" }

    func startDataplane(_ server: String, configuration: DataplaneConfiguration, cpu: Int) throws {
        let (process, client) = try ChildProcess.startDataplane(
            executable, configuration: configuration, configurationFile: directory.appendingPathComponent("\(server).json"), prefix: prefix(server),
            socket: directory.appendingPathComponent("\(server).sock").path, cpu: cpu, log: directory.appendingPathComponent("\(server).log"),
            output: Pipe(), exitWithParent: false)
        processes["e2d:\(server)"] = process
        clients[server] = client
    }

    func startNF(_ instance: ServerWiring.Instance, server: String, vports: [String: DataplaneStatistics.VportState], cpu: Int) throws {
        let arguments = try instance.nfArguments(dataplane: prefix(server), vports: vports, cpu: cpu, extra: nfArguments[instance.type] ?? [])
        processes["nf:\(instance.id)"] = try ChildProcess.launch(
            executable, arguments, log: directory.appendingPathComponent("nf-\(instance.id.replacingOccurrences(of: "#", with: "_")).log"),
            output: Pipe(), exitWithParent: false)
    }
}
