import Foundation

/// curl, the independent HTTP client of the manager's tests.
enum Curl {
    /// Runs curl silently; returns the status code (from `-w`) and the body.
    static func request(_ arguments: [String]) throws -> (status: Int, body: String) {
        let text = try output(["-w", "\n%{http_code}"] + arguments)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// Runs curl silently and returns what it printed.
    static func output(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "--max-time", "15"] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
