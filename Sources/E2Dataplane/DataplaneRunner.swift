import CE2DPDK
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// E2D's run-to-completion loop: poll each input, push the burst through the module graph,
/// run control jobs between bursts, sample the vport monitors, and back off when idle so that
/// several DPDK processes share the cores.
public final class DataplaneRunner {
    public let controller: DataplaneController
    let ports: [EthernetPort]
    let usesHugepages: Bool
    /// The pool the ports receive into; it must outlive them.
    let pool: PacketPool

    /// Starts the EAL with the configured devices (DPDK multi-process enabled, so native NFs
    /// can attach), configures the ports and builds the graph.
    public init(configuration: DataplaneConfiguration, filePrefix: String, lcores: String = "0", extraEALArguments: [String] = []) throws(DataplaneError) {
        let megabytes = configuration.memoryMegabytes ?? 256
        var options = EALOptions.forThisMachine(
            filePrefix: filePrefix, memoryMegabytes: megabytes,
            virtualDevices: configuration.ports.map { [$0.device, $0.args].compactMap { $0 }.joined(separator: ",") })
        // NF processes attach to E2D's memory as DPDK secondaries: that needs its runtime files.
        options.inMemory = false
        options.lcores = lcores
        options.extraArguments = extraEALArguments
        try EAL.start(options)
        usesHugepages = options.useHugepages && !extraEALArguments.contains("--no-huge")
        let pool = try PacketPool(name: "e2d", count: 16383)
        var ports: [String: EthernetPort] = [:]
        for port in configuration.ports { ports[port.name] = try EthernetPort(named: port.device, pool: pool) }
        self.ports = Array(ports.values)
        self.pool = pool
        controller = try DataplaneController(configuration: configuration, ports: ports, pool: pool)
        controller.usesHugepages = usesHugepages
        self.filePrefix = filePrefix
    }

    let filePrefix: String

    /// Removes the files DPDK leaves behind for multi-process (hugepage files and the runtime
    /// directory), so a stopped E2D gives its hugepages back. NFs still attached keep their
    /// mappings; the pages are freed when they exit.
    public func removeRuntimeFiles() {
        let manager = FileManager.default
        for mount in HugepageStatus.current().mountPoints {
            for file in (try? manager.contentsOfDirectory(atPath: mount)) ?? [] where file.hasPrefix(filePrefix + "map_") {
                try? manager.removeItem(atPath: mount + "/" + file)
            }
        }
        try? manager.removeItem(atPath: "/var/run/dpdk/\(filePrefix)")
    }

    /// Runs until `shouldStop` says so (checked between bursts), then returns the statistics.
    public func run(shouldStop: () -> Bool) -> DataplaneStatistics {
        let runtime = controller.runtime!
        let mailbox = controller.mailbox
        let outbox = controller.outbox
        var context = controller.context
        var burst = PacketBurst(capacity: runtime.burstCapacity)
        var idleRounds = 0
        var rounds = 0
        while !shouldStop() {
            if mailbox.hasWork { mailbox.runJobs(on: runtime) }
            context.now = ce2_tsc()
            let busy = runtime.pollInputs(&burst, context: context)
            rounds &+= 1
            if rounds & 63 == 0 || !busy { runtime.sampleMonitors(now: context.now) { outbox.post($0) } }
            // Idle back-off: spin briefly, then sleep up to 1 ms (a control job wakes it).
            if busy {
                idleRounds = 0
            } else {
                idleRounds += 1
                if idleRounds > 64 { mailbox.idle(microseconds: min(1000, (idleRounds - 64) * 10)) }
            }
        }
        if mailbox.hasWork { mailbox.runJobs(on: runtime) }
        return statistics(of: runtime)
    }

    func statistics(of runtime: GraphRuntime) -> DataplaneStatistics { controller.statistics(of: runtime) }
}
