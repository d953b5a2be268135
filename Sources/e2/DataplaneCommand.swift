import ArgumentParser
import E2Dataplane
import E2Engine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `e2 dataplane`: E2D, the DPDK dataplane of one server.
struct DataplaneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataplane",
        abstract: "Run E2D: DPDK ports and BPF classifiers steering packets between them.",
        discussion: """
            The configuration is JSON: {"ports": [{"name", "device", "args"}], "classifiers": [{"input", "rules": [{"filter", "output"}], "default"}]}; \
            outputs are port names or "drop". SIGTERM or SIGINT stops it and prints its statistics as JSON.
            """
    )

    @Option(help: "The configuration file (JSON).")
    var config: String

    @Option(help: "Extra EAL arguments, e.g. \"--no-huge\".")
    var eal: String = ""

    @Option(help: "DPDK file prefix; each DPDK process needs its own.")
    var filePrefix: String?

    func run() throws {
        guard let data = FileManager.default.contents(atPath: config) else { throw ValidationError("cannot read configuration \(config)") }
        let configuration: DataplaneConfiguration
        do {
            configuration = try DataplaneConfiguration.decode(json: data)
        } catch {
            throw ValidationError("\(config): \(error)")
        }
        // Block the stop signals before DPDK starts its threads, so they inherit the mask and
        // the loop alone notices them (sigpending), with no handler to race with.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let runner: DataplaneRunner
        do {
            runner = try DataplaneRunner(configuration: configuration, filePrefix: filePrefix ?? "e2d-\(getpid())",
                                         extraEALArguments: eal.split(separator: " ").map(String.init))
        } catch {
            FileHandle.standardError.write(Data("e2 dataplane: \(error)\n".utf8))
            throw ExitCode(1)
        }
        FileHandle.standardError.write(Data("e2 dataplane: running \(configuration.ports.count) ports, \(configuration.classifiers.count) classifiers\n".utf8))
        var checks = 0
        let statistics = runner.run {
            checks += 1
            guard checks % 256 == 0 else { return false }
            var pending = sigset_t()
            sigpending(&pending)
            return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1
        }
        print(try JSONOutput.encode(statistics))
    }
}
