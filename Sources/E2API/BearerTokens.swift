import Foundation

/// Who may call the API: bearer tokens with the role `controller` (read and write) or
/// `monitor` (read only), from `{"controller": [...], "monitor": [...]}`.
public struct BearerTokens: Sendable {
    public enum Role: String, Sendable { case controller, monitor }

    private let tokens: [(token: [UInt8], role: Role)]

    public init(controller: [String], monitor: [String]) {
        tokens = controller.map { (Array($0.utf8), .controller) } + monitor.map { (Array($0.utf8), .monitor) }
    }

    /// Reads a tokens file; every token must be at least 16 characters.
    public init(file: String) throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw HTTPServerError("cannot read tokens file \(file)") }
        struct File: Decodable { var controller: [String]?; var monitor: [String]? }
        let parsed: File
        do {
            parsed = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw HTTPServerError("tokens file \(file) is not {\"controller\": [...], \"monitor\": [...]}")
        }
        let all = (parsed.controller ?? []) + (parsed.monitor ?? [])
        if all.isEmpty { throw HTTPServerError("tokens file \(file) has no tokens") }
        if all.contains(where: { $0.count < 16 }) { throw HTTPServerError("tokens in \(file) must be at least 16 characters") }
        self.init(controller: parsed.controller ?? [], monitor: parsed.monitor ?? [])
    }

    /// The role of the request's bearer token, comparing every token in constant time.
    public func role(of request: HTTPRequest) -> Role? {
        guard let header = request.header("Authorization"), header.lowercased().hasPrefix("bearer ") else { return nil }
        let presented = Array(header.dropFirst(7).trimmingCharacters(in: .whitespaces).utf8)
        var found: Role?
        for (token, role) in tokens where Self.constantTimeEqual(token, presented) && found == nil {
            found = role
        }
        return found
    }

    /// Equal bytes, in time that depends only on the lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
