import E2API
import E2Dataplane
import E2Engine
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The server agent (§5): registers with the manager and heartbeats; runs this server's E2D
/// and its NF instances as the manager's plan says, pinned to the CPU it is given; restarts a
/// crashed NF with back-off and reports it; relays E2D's events (overload, stalls, NFs gone).
public final class Agent: @unchecked Sendable {
    public struct Settings: Sendable {
        public var name: String
        public var cores: Int
        public var switchPort: Int
        /// The memif socket of this server's switch port (the switch is the memif server).
        public var uplinkSocket: String
        public var directory: URL
        public var executable: URL
        public var cpu: Int
        public var heartbeatInterval: Double
        /// Extra `e2 nf` arguments per NF type.
        public var nfArguments: [String: [String]]

        public init(name: String, cores: Int, switchPort: Int, uplinkSocket: String, directory: URL, executable: URL, cpu: Int,
                    heartbeatInterval: Double, nfArguments: [String: [String]]) {
            self.name = name
            self.cores = cores
            self.switchPort = switchPort
            self.uplinkSocket = uplinkSocket
            self.directory = directory
            self.executable = executable
            self.cpu = cpu
            self.heartbeatInterval = heartbeatInterval
            self.nfArguments = nfArguments
        }
    }

    let settings: Settings
    let manager: ManagerClient
    // Owned by the reconcile thread (the agent's main loop).
    var wiring: ServerWiring?
    var dataplane: Process?
    var nfs: [String: (process: Process, instance: ServerWiring.Instance, restarts: Int, nextStart: Date?)] = [:]
    var stopping = false
    /// The instance each vport belongs to, for the events the agent relays.
    let vportOwners = Mutex<[String: String]>([:])
    /// Legacy instances' network namespaces, by instance.
    var namespaces: [String: String] = [:]
    let say: @Sendable (String) -> Void

    public init(settings: Settings, manager: ManagerClient, log: @escaping @Sendable (String) -> Void) {
        self.settings = settings
        self.manager = manager
        say = log
    }

    var socket: String { settings.directory.appendingPathComponent("e2d.sock").path }
    var prefix: String { "e2a-\(settings.name)" }

    /// Registers, then heartbeats on a thread of its own and reconciles until `shouldStop`.
    public func run(shouldStop: @escaping @Sendable () -> Bool) throws {
        try FileManager.default.createDirectory(at: settings.directory, withIntermediateDirectories: true)
        let registration = AgentRegistration(name: settings.name, cores: settings.cores, switchPort: settings.switchPort, dataplane: socket)
        try manager.register(registration)
        say("registered with \(manager.base) as \(settings.name)")
        let manager = self.manager, interval = settings.heartbeatInterval, name = settings.name, say = self.say
        Thread.detachNewThread {
            while !shouldStop() {
                do {
                    if try !manager.heartbeat(name) {
                        try manager.register(registration)
                        say("registered again (the manager had forgotten this agent)")
                    }
                } catch {
                    say("heartbeat failed: \(error)")
                }
                Thread.sleep(forTimeInterval: interval)
            }
        }
        while !shouldStop() {
            do {
                try reconcile()
            } catch {
                say("reconcile: \(error)")
            }
            superviseNFs()
            Thread.sleep(forTimeInterval: 0.5)
        }
        stopAll()
    }

    /// Makes the running E2D and NFs match the manager's plan for this server.
    func reconcile() throws {
        guard let desired = try manager.desiredState() else { return }
        let context = try PolicyContext(policies: desired.policies)
        let tags = try TagAssignments(portGroups: Array(context.portGroups.keys), catalog: desired.catalog)
        let uplink = DataplaneConfiguration.Port(name: "uplink", device: "net_memif_up", args: "role=client,socket=\(settings.uplinkSocket),id=0")
        let compiler = ServerWiringCompiler(addresses: context.addresses, catalog: desired.catalog, tags: tags, uplink: uplink,
                                            interfacePrefix: "e2\(settings.switchPort)v")
        let next = try desired.plan.servers.first { $0.server == settings.name }.map { plan throws(WiringError) in try compiler.compile(plan) }
            ?? compiler.idle(server: settings.name)
        if next == wiring, dataplane?.isRunning == true { return }
        if let current = wiring, dataplane?.isRunning == true, let requests = ConfigurationDiff.requests(from: current.configuration, to: next.configuration) {
            do {
                try change(from: current, to: next, requests: requests)
                return
            } catch {
                say("changing E2D in place failed (\(error)); restarting it")
            }
        }
        say("applying the plan: \(next.instances.map(\.id).sorted().joined(separator: " ")) (\(next.configuration.modules.count) E2D modules)")
        stopAll()
        try startDataplane(next.configuration)
        let vports = try DataplaneControlClient(path: socket).statistics().vports
        for instance in next.instances where instance.api == .native {
            try startNF(instance, vports: vports, restarts: 0)
        }
        for instance in next.instances where instance.api == .legacy { try startLegacy(instance) }
        wiring = next
        noteOwners(next)
        relayEvents()
    }

    func noteOwners(_ wiring: ServerWiring) {
        var owners: [String: String] = [:]
        for instance in wiring.instances { for vport in instance.inputOrder + instance.outputOrder { owners[vport] = instance.id } }
        vportOwners.withLock { $0 = owners }
    }

    /// Changes the running E2D through its control socket: NFs whose instance stays as it was
    /// keep running (with their state); the others stop before their vports go and start after
    /// the new ones exist.
    func change(from current: ServerWiring, to next: ServerWiring, requests: [ControlRequest]) throws {
        let kept = Set(next.instances.filter { instance in
            current.instances.contains(instance) && (instance.api == .legacy || nfs[instance.id]?.process.isRunning == true)
        }.map(\.id))
        say("changing the plan in place: keeping \(kept.sorted().joined(separator: " ")); \(requests.count) E2D changes")
        for (id, entry) in nfs where !kept.contains(id) {
            if entry.process.isRunning { kill(entry.process.processIdentifier, SIGTERM) }
            entry.process.waitUntilExit()
            nfs.removeValue(forKey: id)
        }
        for (id, namespace) in namespaces where !kept.contains(id) {
            LegacyNF.stop(namespace: namespace)
            namespaces.removeValue(forKey: id)
        }
        if !requests.isEmpty { try DataplaneControlClient(path: socket).batch(requests) }
        wiring = next
        noteOwners(next)
        let vports = try DataplaneControlClient(path: socket).statistics().vports
        for instance in next.instances where !kept.contains(instance.id) {
            if instance.api == .native { try startNF(instance, vports: vports, restarts: 0) } else { try startLegacy(instance) }
        }
    }

    func startLegacy(_ instance: ServerWiring.Instance) throws {
        let namespace = LegacyNF.namespace(prefix: "e2a-\(settings.name)", instance: instance.id)
        try LegacyNF.start(instance, namespace: namespace)
        namespaces[instance.id] = namespace
    }

    func startDataplane(_ configuration: DataplaneConfiguration) throws {
        dataplane = try ChildProcess.startDataplane(settings.executable, configuration: configuration,
                                                    configurationFile: settings.directory.appendingPathComponent("e2d.json"), prefix: prefix,
                                                    socket: socket, cpu: settings.cpu, log: settings.directory.appendingPathComponent("e2d.log")).0
    }

    func startNF(_ instance: ServerWiring.Instance, vports: [String: DataplaneStatistics.VportState], restarts: Int) throws {
        let arguments = try instance.nfArguments(dataplane: prefix, vports: vports, cpu: settings.cpu, extra: settings.nfArguments[instance.type] ?? [])
        let process = try ChildProcess.launch(settings.executable, arguments,
                                              log: settings.directory.appendingPathComponent("nf-\(instance.id.replacingOccurrences(of: "#", with: "_")).log"))
        nfs[instance.id] = (process, instance, restarts, nil)
    }

    /// Restarts NFs that exited, with back-off (0.5 s doubling to 8 s), and reports them.
    func superviseNFs() {
        guard let dataplane, dataplane.isRunning else { return }
        for (id, entry) in nfs where !entry.process.isRunning {
            if let due = entry.nextStart {
                guard Date() >= due else { continue }
                do {
                    let vports = try DataplaneControlClient(path: socket).statistics().vports
                    try startNF(entry.instance, vports: vports, restarts: entry.restarts + 1)
                    manager.report(settings.name, kind: "nfRestarted", instance: id, detail: "restart \(entry.restarts + 1)")
                    say("\(id) restarted (restart \(entry.restarts + 1))")
                } catch {
                    say("\(id): restart failed: \(error)")
                }
            } else {
                let delay = min(8, 0.5 * pow(2, Double(entry.restarts)))
                say("\(id) exited with status \(entry.process.terminationStatus); restarting in \(delay) s")
                nfs[id]?.nextStart = Date().addingTimeInterval(delay)
            }
        }
    }

    /// Relays E2D's events to the manager, on a thread that ends with the E2D it listens to.
    func relayEvents() {
        let manager = self.manager, name = settings.name, socket = self.socket
        Thread.detachNewThread { [self] in
            guard let client = try? DataplaneControlClient(path: socket), (try? client.subscribe()) != nil else { return }
            while let event = try? client.nextEvent() {
                let instance = vportOwners.withLock { $0[event.vport] }
                var detail = event.pid.map { "pid \($0)" }
                if let occupancy = event.occupancy { detail = String(format: "occupancy %.2f, delay %.0f us, drops %llu", occupancy, event.delayMicros ?? 0, event.drops ?? 0) }
                manager.report(name, kind: event.kind.rawValue, vport: event.vport, instance: instance, detail: detail)
            }
        }
    }

    func stopAll() {
        for entry in nfs.values where entry.process.isRunning { kill(entry.process.processIdentifier, SIGTERM) }
        for entry in nfs.values { entry.process.waitUntilExit() }
        nfs.removeAll()
        if let dataplane, dataplane.isRunning {
            kill(dataplane.processIdentifier, SIGTERM)
            dataplane.waitUntilExit()
        }
        dataplane = nil
        wiring = nil
        for namespace in namespaces.values { LegacyNF.stop(namespace: namespace) }
        namespaces.removeAll()
    }
}
