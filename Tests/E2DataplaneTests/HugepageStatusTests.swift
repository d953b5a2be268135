import E2Dataplane
import XCTest

final class HugepageStatusTests: XCTestCase {
    let meminfo = """
        MemTotal:       24622848 kB
        HugePages_Total:    1024
        HugePages_Free:      992
        HugePages_Rsvd:        0
        Hugepagesize:       2048 kB
        """

    func testReadsPagesAndMounts() {
        let mounts = """
            proc /proc proc rw,nosuid 0 0
            nodev /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0
            """
        let status = HugepageStatus(meminfo: meminfo, mounts: mounts)
        XCTAssertEqual(status, HugepageStatus(total: 1024, free: 992, pageKilobytes: 2048, mountPoints: ["/dev/hugepages"]))
        XCTAssertTrue(status.canBack(megabytes: 1984))
        XCTAssertFalse(status.canBack(megabytes: 1986))
    }

    func testPagesWithoutAMountCannotBeUsed() {
        let status = HugepageStatus(meminfo: meminfo, mounts: "proc /proc proc rw 0 0")
        XCTAssertEqual(status.total, 1024)
        XCTAssertFalse(status.canBack(megabytes: 64))
    }

    func testAMachineWithoutHugepagesFallsBackToNoHuge() {
        let status = HugepageStatus(meminfo: "MemTotal: 1 kB\n", mounts: "")
        XCTAssertEqual(status, HugepageStatus(total: 0, free: 0, pageKilobytes: 0, mountPoints: []))
        XCTAssertFalse(status.canBack(megabytes: 1))
        let options = EALOptions(filePrefix: "x", useHugepages: status.canBack(megabytes: 64))
        XCTAssertTrue(options.arguments().contains("--no-huge"))
    }

    func testEALArgumentsCarryEveryOption() {
        let options = EALOptions(filePrefix: "p", memoryMegabytes: 256, useHugepages: true, inMemory: false,
                                 lcores: "1", virtualDevices: ["net_null0", "net_ring0"], extraArguments: ["--huge-unlink"])
        XCTAssertEqual(options.arguments(programName: "e2"), [
            "e2", "--lcores", "1", "-m", "256", "--no-pci", "--no-telemetry", "--file-prefix", "p", "--log-level", "error",
            "--vdev", "net_null0", "--vdev", "net_ring0", "--huge-unlink",
        ])
    }
}
