import ArgumentParser
import Foundation

/// `e2 doctor`: checks, for real, that this machine can build and run E2.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check that this machine can run E2 (DPDK, hugepages, OpenSSL, libpcap, SQLite, cores).",
        discussion: "Prints one line per check and exits 1 when something required is missing, naming the command that fixes it."
    )

    @Flag(help: "Print the checks as JSON.")
    var json = false

    func run() throws {
        let checks = DoctorChecks.all()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(checks), as: UTF8.self))
        } else {
            checks.forEach { print($0.line) }
        }
        if checks.contains(where: { $0.status == .fail }) { throw ExitCode(1) }
    }
}
