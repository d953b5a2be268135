import Foundation

/// iproute2's tools (`ip`, `tc`), run for vports and legacy NFs; an error carries their message.
public enum NetworkTool {
    public static func ip(_ arguments: [String], namespace: String? = nil) throws(DataplaneError) {
        try run(FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip", arguments, namespace: namespace)
    }

    public static func tc(_ arguments: [String], namespace: String? = nil) throws(DataplaneError) {
        try run(FileManager.default.isExecutableFile(atPath: "/usr/sbin/tc") ? "/usr/sbin/tc" : "/sbin/tc", arguments, namespace: namespace)
    }

    /// Runs `tool`, inside `namespace` when given (`ip netns exec`).
    static func run(_ tool: String, _ arguments: [String], namespace: String?) throws(DataplaneError) {
        let process = Process()
        if let namespace {
            process.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip")
            process.arguments = ["netns", "exec", namespace, tool] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
        }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let command = ([tool] + arguments).joined(separator: " ")
        do { try process.run() } catch {
            throw DataplaneError(operation: command, code: 0, reason: "cannot run it (apt-get install iproute2): \(error)")
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DataplaneError(operation: command, code: 0, reason: message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}
