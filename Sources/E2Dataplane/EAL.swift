import CE2DPDK
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// DPDK's Environment Abstraction Layer, which a process may start once.
///
/// DPDK keeps its state in globals and cannot start again after `rte_eal_cleanup`, so this
/// type remembers the options it started with and refuses different ones afterwards.
public enum EAL {
    private static let started = Mutex<EALOptions?>(nil)

    /// Starts the EAL, or returns at once when it already runs with the same options.
    public static func start(_ options: EALOptions) throws(DataplaneError) {
        try started.withLock { (current: inout EALOptions?) throws(DataplaneError) in
            if let current {
                guard current == options else {
                    throw DataplaneError(
                        operation: "rte_eal_init", code: 0,
                        reason: "the EAL already runs in this process with other options (\(current.arguments().joined(separator: " ")))")
                }
                return
            }
            // The EAL may keep pointers into argv, so the strings live as long as the process.
            let arguments = options.arguments()
            let argv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: arguments.count + 1)
            for (index, argument) in arguments.enumerated() { argv[index] = strdup(argument) }
            argv[arguments.count] = nil
            let consumed = rte_eal_init(Int32(arguments.count), argv)
            guard consumed >= 0 else {
                throw DataplaneError.fromErrno("rte_eal_init(\(arguments.dropFirst().joined(separator: " ")))")
            }
            current = options
            // DPDK makes /var/run/dpdk/PREFIX even for an in-memory process and leaves it:
            // remove it (when empty) as the process exits.
            if options.inMemory && !options.secondary {
                runtimeDirectory.withLock { $0 = "/var/run/dpdk/\(options.filePrefix)" }
                atexit { EAL.removeRuntimeDirectory() }
            }
        }
    }

    private static let runtimeDirectory = Mutex<String?>(nil)

    static func removeRuntimeDirectory() {
        guard let path = runtimeDirectory.withLock({ $0 }) else { return }
        _ = rmdir(path)  // only when empty
    }

    /// Whether the EAL runs in this process.
    public static var isRunning: Bool { started.withLock { $0 != nil } }

    /// The options the EAL runs with, if it does.
    public static var options: EALOptions? { started.withLock { $0 } }
}

/// The versions of the C libraries the dataplane is linked with.
public enum DataplaneLibraries {
    /// DPDK's version as the linked library reports it (`DPDK 22.11.11`).
    public static var dpdkVersion: String { String(cString: rte_version()) }

    /// libpcap's version as the linked library reports it (`libpcap version 1.10.3 (...)`).
    public static var pcapVersion: String { String(cString: pcap_lib_version()) }
}
