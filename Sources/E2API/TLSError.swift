import CE2OpenSSL

/// An OpenSSL call that failed, with the reasons OpenSSL queued for it.
public struct TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What E2 was doing (`"loading the certificate chain from /etc/e2/cert.pem"`).
    public var operation: String
    /// OpenSSL's error strings, oldest first; empty when OpenSSL queued none.
    public var reasons: [String]

    public init(operation: String, reasons: [String]) {
        self.operation = operation
        self.reasons = reasons
    }

    /// The error for `operation`, draining OpenSSL's thread-local error queue.
    static func drainingQueue(_ operation: String) -> TLSError {
        var reasons: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while case let code = ERR_get_error(), code != 0 {
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return TLSError(operation: operation, reasons: reasons)
    }

    public var description: String {
        reasons.isEmpty ? "\(operation) failed" : "\(operation) failed: \(reasons.joined(separator: "; "))"
    }
}
