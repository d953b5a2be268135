import E2Dataplane
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starting the `e2` processes a cluster is made of (E2D, NFs, agents, the switch), each with
/// its standard error appended to a log file.
enum ChildProcess {
    /// Starts `executable arguments`; with `exitWithParent` the child ends when this process does.
    static func launch(_ executable: URL, _ arguments: [String], log: URL, output: Pipe? = nil, exitWithParent: Bool = true) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if exitWithParent { process.environment = ProcessInfo.processInfo.environment.merging(["E2_EXIT_WITH_PARENT": "1"]) { $1 } }
        process.standardOutput = output ?? FileHandle.nullDevice
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardError = handle
        try process.run()
        return process
    }

    /// Writes `configuration` to `configurationFile`, starts `e2 dataplane` with a control
    /// socket at `socket` and waits until it answers there.
    static func startDataplane(_ executable: URL, configuration: DataplaneConfiguration, configurationFile: URL, prefix: String, socket: String,
                               cpu: Int, log: URL, output: Pipe? = nil, exitWithParent: Bool = true) throws -> (Process, DataplaneControlClient) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(configuration).write(to: configurationFile)
        let process = try launch(executable, ["dataplane", "--config", configurationFile.path, "--file-prefix", prefix, "--control", socket, "--lcores", "0@\(cpu)"],
                                 log: log, output: output, exitWithParent: exitWithParent)
        for _ in 0..<200 {
            if let client = try? DataplaneControlClient(path: socket) { return (process, client) }
            guard process.isRunning else { break }
            usleep(50_000)
        }
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        throw WiringError("E2D did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "see \(log.path)")")
    }
}
