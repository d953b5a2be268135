import E2API
import E2Dataplane
import Foundation

/// The checks of `e2 doctor`, each one real: it calls the library or starts the EAL.
enum DoctorChecks {
    /// The command that installs everything E2 needs, from a checkout of E2.
    static let setupCommand = "sudo scripts/setup"

    /// Memory the EAL probe asks for, in MiB.
    static let probeMegabytes = 64

    static func all() -> [DoctorCheck] {
        // Hugepages are read before the EAL probe takes some of them.
        let hugepages = HugepageStatus.current()
        return [dpdk(), eal(hugepages: hugepages), hugepageCheck(hugepages), openSSL(), libpcap(), sqlite(), cores()]
    }

    /// The linked DPDK, and the pkg-config file E2 builds against.
    static func dpdk() -> DoctorCheck {
        let linked = DataplaneLibraries.dpdkVersion
        guard let pkgConfig = ExternalTool(named: "pkg-config") else {
            return DoctorCheck(name: "DPDK", status: .fail, detail: "\(linked) linked, but pkg-config is not installed",
                               fix: "\(setupCommand) (or: apt-get install pkg-config libdpdk-dev)")
        }
        guard let result = try? pkgConfig.run(["--modversion", "libdpdk"]), result.status == 0 else {
            return DoctorCheck(name: "DPDK", status: .fail, detail: "\(linked) linked, but pkg-config finds no libdpdk (DPDK's development files)",
                               fix: "\(setupCommand) (or: apt-get install libdpdk-dev)")
        }
        return DoctorCheck(name: "DPDK", status: .ok, detail: "\(linked) linked; libdpdk \(result.output) for building")
    }

    /// Starts the EAL in this process with a net_null port and moves one burst through it.
    static func eal(hugepages: HugepageStatus) -> DoctorCheck {
        let options = EALOptions(
            filePrefix: "e2-doctor-\(getpid())", memoryMegabytes: probeMegabytes,
            useHugepages: hugepages.canBack(megabytes: probeMegabytes))
        do {
            let report = try NullPortProbe.run(options: options)
            let memory = options.useHugepages ? "hugepages" : "--no-huge"
            return DoctorCheck(name: "EAL", status: .ok,
                               detail: "started (\(memory), -m \(options.memoryMegabytes)) with net_null0: \(report.received) packets in, \(report.sent) out")
        } catch {
            return DoctorCheck(name: "EAL", status: .fail, detail: "did not start with net_null0: \(error)",
                               fix: "\(setupCommand) (or: apt-get install dpdk)")
        }
    }

    static func hugepageCheck(_ status: HugepageStatus) -> DoctorCheck {
        let pageSize = status.pageKilobytes >= 1024 ? "\(status.pageKilobytes / 1024) MiB" : "\(status.pageKilobytes) KiB"
        guard status.total > 0 else {
            return DoctorCheck(name: "hugepages", status: .warn,
                               detail: "none reserved: DPDK will run with --no-huge (slower, no memory shared between processes)",
                               fix: setupCommand)
        }
        guard let mountPoint = status.mountPoints.first else {
            return DoctorCheck(name: "hugepages", status: .warn,
                               detail: "\(status.total) x \(pageSize) reserved but hugetlbfs is not mounted: DPDK will run with --no-huge",
                               fix: "\(setupCommand) (or: mount -t hugetlbfs nodev /dev/hugepages)")
        }
        return DoctorCheck(name: "hugepages", status: .ok,
                           detail: "\(status.total) x \(pageSize) reserved, \(status.free) free, hugetlbfs at \(mountPoint)")
    }

    static func openSSL() -> DoctorCheck {
        let version = APILibraries.openSSLVersion
        guard APILibraries.openSSLMajorVersion >= 3 else {
            return DoctorCheck(name: "OpenSSL", status: .fail, detail: "\(version): E2 needs OpenSSL 3", fix: "\(setupCommand) (or: apt-get install libssl-dev)")
        }
        return DoctorCheck(name: "OpenSSL", status: .ok, detail: version)
    }

    static func libpcap() -> DoctorCheck {
        DoctorCheck(name: "libpcap", status: .ok, detail: DataplaneLibraries.pcapVersion)
    }

    static func sqlite() -> DoctorCheck {
        DoctorCheck(name: "SQLite", status: .ok, detail: "SQLite \(APILibraries.sqliteVersion)")
    }

    /// Cores this process may run on; E2 shares them between E2Ds and NFs with idle back-off.
    static func cores() -> DoctorCheck {
        let online = ProcessInfo.processInfo.processorCount
        let usable = ProcessInfo.processInfo.activeProcessorCount
        let detail = "\(usable) usable of \(online) online"
        return usable >= 2
            ? DoctorCheck(name: "cores", status: .ok, detail: detail)
            : DoctorCheck(name: "cores", status: .warn, detail: detail + ": E2 wants 2 or more (one for E2D, one for NFs)")
    }
}
