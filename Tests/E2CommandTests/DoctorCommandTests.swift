import Foundation
import XCTest

/// `e2 doctor` and `e2 version`, run as processes.
final class DoctorCommandTests: XCTestCase {
    static let checkNames = ["DPDK", "EAL", "hugepages", "OpenSSL", "libpcap", "SQLite", "cores"]

    func testDoctorPassesOnAMachineSetUpByTheSetupScript() throws {
        let outcome = try E2Process.run(["doctor"])
        XCTAssertEqual(outcome.status, 0, outcome.standardOutput + outcome.standardError)
        let lines = outcome.standardOutput.split(separator: "\n")
        XCTAssertEqual(lines.count, Self.checkNames.count, outcome.standardOutput)
        for (line, name) in zip(lines, Self.checkNames) {
            XCTAssertTrue(line.hasPrefix("ok  ") || line.hasPrefix("warn"), String(line))
            XCTAssertEqual(line.dropFirst(6).split(separator: " ").first.map(String.init), name, String(line))
        }
        XCTAssertTrue(outcome.standardOutput.contains("with net_null0: 32 packets in, 32 out"), outcome.standardOutput)
    }

    func testDoctorFailsAndNamesTheFixWhenDPDKsPkgConfigFileIsMissing() throws {
        let outcome = try E2Process.run(["doctor"], environment: ["PKG_CONFIG_LIBDIR": "/nonexistent", "PKG_CONFIG_PATH": ""])
        XCTAssertEqual(outcome.status, 1)
        let dpdk = try XCTUnwrap(outcome.standardOutput.split(separator: "\n").first { $0.contains("DPDK") && !$0.contains("EAL") })
        XCTAssertTrue(dpdk.hasPrefix("FAIL"), String(dpdk))
        XCTAssertTrue(dpdk.contains("pkg-config finds no libdpdk"), String(dpdk))
        XCTAssertTrue(dpdk.contains("fix: sudo scripts/setup (or: apt-get install libdpdk-dev)"), String(dpdk))
    }

    func testDoctorFailsWhenPkgConfigIsNotInstalled() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("e2-empty-path-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let outcome = try E2Process.run(["doctor", "--json"], environment: ["PATH": empty.path])
        XCTAssertEqual(outcome.status, 1)
        let checks = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [[String: String]])
        XCTAssertEqual(checks.map { $0["name"] }, Self.checkNames)
        XCTAssertEqual(checks[0]["status"], "fail")
        XCTAssertEqual(checks[0]["fix"], "sudo scripts/setup (or: apt-get install pkg-config libdpdk-dev)")
        XCTAssertEqual(checks.filter { $0["status"] == "fail" }.count, 1, "only the DPDK check depends on PATH")
    }

    func testVersionNamesE2AndItsLibraries() throws {
        let outcome = try E2Process.run(["version"])
        XCTAssertEqual(outcome.status, 0)
        let lines = outcome.standardOutput.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertTrue(lines.first?.hasPrefix("e2 0.") ?? false, outcome.standardOutput)
        XCTAssertTrue(lines.contains { $0.hasPrefix("DPDK 22.") }, outcome.standardOutput)
        XCTAssertTrue(lines.contains { $0.hasPrefix("OpenSSL 3.") }, outcome.standardOutput)
        XCTAssertTrue(lines.contains { $0.hasPrefix("libpcap version 1.") }, outcome.standardOutput)
        XCTAssertTrue(lines.contains { $0.hasPrefix("SQLite 3.") }, outcome.standardOutput)
        XCTAssertEqual(try E2Process.run(["--version"]).standardOutput, lines[0] + "\n")
    }

    func testAnUnknownSubcommandIsAUsageError() throws {
        let outcome = try E2Process.run(["frobnicate"])
        XCTAssertEqual(outcome.status, 64, "EX_USAGE")
        XCTAssertTrue(outcome.standardError.contains("Unexpected argument 'frobnicate'"), outcome.standardError)
    }
}
