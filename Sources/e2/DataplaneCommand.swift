import ArgumentParser
import E2Cluster
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
        abstract: "Run E2D: DPDK ports, vports for NFs and a graph of modules between them.",
        discussion: """
            The configuration is JSON: {"ports": [{"name", "device", "args"}], "vports": [{"name", "kind": "native"|"legacy", "interface"}], \
            "modules": [{"name", "type", ...}], "links": [{"from": "module:gate", "to": "module"}]}, or the shorthand \
            "classifiers": [{"input", "rules": [{"filter", "output"}], "default"}] (docs/dataplane.md). With --control, a Unix socket \
            takes changes and answers statistics while it runs. SIGTERM or SIGINT stops it and prints its statistics as JSON.
            """
    )

    @Option(help: "The configuration file (JSON).")
    var config: String

    @Option(help: "Extra EAL arguments, e.g. \"--no-huge\".")
    var eal: String = ""

    @Option(help: "DPDK file prefix; each DPDK process needs its own, and native NFs attach by it.")
    var filePrefix: String?

    @Option(help: "The control socket to create (a path).")
    var control: String?

    @Option(help: "DPDK lcores for the loop: \"0\", or \"0@1\" to run on CPU 1.")
    var lcores: String = "0"

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

        let prefix = filePrefix ?? "e2d-\(getpid())"
        let runner: DataplaneRunner
        do {
            runner = try DataplaneRunner(configuration: configuration, filePrefix: prefix, lcores: lcores,
                                         extraEALArguments: eal.split(separator: " ").map(String.init))
        } catch {
            FileHandle.standardError.write(Data("e2 dataplane: \(error)\n".utf8))
            throw ExitCode(1)
        }
        var server: ControlSocketServer?
        if let control {
            do {
                server = try ControlSocketServer(path: control, controller: runner.controller)
            } catch {
                FileHandle.standardError.write(Data("e2 dataplane: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
        defer { server?.stop() }
        let modules = configuration.allModules().count
        FileHandle.standardError.write(Data("e2 dataplane: running \(configuration.ports.count) ports, \(configuration.vports.count) vports, \(modules) modules; file prefix \(prefix)\(control.map { "; control socket \($0)" } ?? "")\n".utf8))
        var checks = 0
        let watch = ParentWatch()
        let statistics = runner.run {
            checks += 1
            guard checks % 256 == 0 else { return false }
            if watch.parentGone { return true }
            var pending = sigset_t()
            sigpending(&pending)
            return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1
        }
        server?.stop()
        runner.removeRuntimeFiles()
        print(try JSONOutput.encode(statistics))
    }
}
