import Foundation

/// The built `e2` executable, run as a user would run it.
struct E2Process {
    struct Outcome {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// `e2` sits beside the test bundle in SwiftPM's products folder.
    static let executable: URL = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("e2")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return bundle.deletingLastPathComponent().appendingPathComponent("e2")
    }()

    /// Runs `e2` with `arguments`; `environment` replaces entries of this process's environment.
    static func run(_ arguments: [String], environment overrides: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(overrides) { $1 }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read both pipes before waiting, so a chatty child never blocks on a full pipe.
        let errorData = Thread.detachNewThreadWithResult { error.fileHandleForReading.readDataToEndOfFile() }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus,
            standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData.value, as: UTF8.self))
    }
}

private extension Thread {
    final class Box<Value>: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var stored: Value?
        func set(_ value: Value) { stored = value; done.signal() }
        var value: Value { done.wait(); return stored! }
    }

    static func detachNewThreadWithResult<Value>(_ body: @escaping @Sendable () -> Value) -> Box<Value> {
        let box = Box<Value>()
        Thread.detachNewThread { box.set(body()) }
        return box
    }
}
