/// How to start DPDK's Environment Abstraction Layer (EAL) in this process.
///
/// Several DPDK processes share two cores on E2's machines, so every process gets its own
/// file prefix and, unless it must share memory with an NF, runs `--in-memory`.
public struct EALOptions: Sendable, Equatable {
    /// The name DPDK files (`/var/run/dpdk/PREFIX`) and hugepage files go under.
    public var filePrefix: String
    /// Memory to reserve up front, in MiB (`-m`).
    public var memoryMegabytes: Int
    /// Whether to back memory with hugepages; `false` adds `--no-huge`.
    public var useHugepages: Bool
    /// Keeps no files at all (`--in-memory`); rules out DPDK multi-process.
    public var inMemory: Bool
    /// The lcores the EAL may run threads on (`--lcores`: `0`, or `3@1` for lcore ID 3 on CPU 1).
    public var lcores: String
    /// Virtual devices to create (`--vdev`), such as `net_null0` or `net_ring0`.
    public var virtualDevices: [String]
    /// DPDK's log level (`--log-level`), `error` by default so probes print nothing.
    public var logLevel: String
    /// Anything else, appended as given (the `--eal "..."` flag of later commands).
    public var extraArguments: [String]
    /// Attaches to the memory of the primary process with the same file prefix (an NF
    /// attaching to E2D); memory, hugepage and in-memory options then come from the primary.
    public var secondary = false

    public init(
        filePrefix: String, memoryMegabytes: Int = 64, useHugepages: Bool, inMemory: Bool = true,
        lcores: String = "0", virtualDevices: [String] = [], logLevel: String = "error", extraArguments: [String] = []
    ) {
        self.filePrefix = filePrefix
        self.memoryMegabytes = memoryMegabytes
        self.useHugepages = useHugepages
        self.inMemory = inMemory
        self.lcores = lcores
        self.virtualDevices = virtualDevices
        self.logLevel = logLevel
        self.extraArguments = extraArguments
    }

    /// The options for this machine: hugepages when enough are free and mounted, else `--no-huge`.
    public static func forThisMachine(
        filePrefix: String, memoryMegabytes: Int = 64, virtualDevices: [String] = []
    ) -> EALOptions {
        let hugepages = HugepageStatus.current().canBack(megabytes: memoryMegabytes)
        return EALOptions(
            filePrefix: filePrefix, memoryMegabytes: memoryMegabytes, useHugepages: hugepages, virtualDevices: virtualDevices)
    }

    /// The argument vector for `rte_eal_init`, program name first.
    public func arguments(programName: String = "e2") -> [String] {
        if secondary {
            return [programName, "--lcores", lcores, "--proc-type=secondary", "--no-pci", "--no-telemetry",
                    "--file-prefix", filePrefix, "--log-level", logLevel] + extraArguments
        }
        var arguments = [programName, "--lcores", lcores, "-m", String(memoryMegabytes), "--no-pci", "--no-telemetry"]
        arguments += ["--file-prefix", filePrefix, "--log-level", logLevel]
        if !useHugepages { arguments.append("--no-huge") }
        if inMemory { arguments.append("--in-memory") }
        for device in virtualDevices { arguments += ["--vdev", device] }
        return arguments + extraArguments
    }
}
