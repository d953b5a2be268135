import Foundation

/// Another program's standard output (its errors discarded), for tests that check E2 against
/// independent tools (tcpdump, dpkg, ldd).
enum ToolOutput {
    struct Failed: Error { var tool: String; var status: Int32 }

    /// Runs `tool`; with `requiringSuccess`, a non-zero exit status throws.
    static func of(_ tool: String, _ arguments: [String], requiringSuccess: Bool = false) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if requiringSuccess, process.terminationStatus != 0 { throw Failed(tool: tool, status: process.terminationStatus) }
        return String(decoding: data, as: UTF8.self)
    }
}
