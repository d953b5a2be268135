import ArgumentParser
import E2API
import E2Dataplane
import E2Engine

/// `e2 version`: E2's version and the versions of the C libraries it is linked with.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print E2's version and the libraries it is linked with."
    )

    static var versionLine: String { "e2 \(BuildInfo.version)" }

    func run() {
        print(Self.versionLine)
        print("  \(DataplaneLibraries.dpdkVersion)")
        print("  \(APILibraries.openSSLVersion)")
        print("  \(DataplaneLibraries.pcapVersion)")
        print("  SQLite \(APILibraries.sqliteVersion)")
    }
}
