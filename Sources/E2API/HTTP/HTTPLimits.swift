/// What one request may use, so that a client cannot exhaust the manager.
public struct HTTPLimits: Sendable, Equatable {
    /// The request line and each header line (answers 414 / 431 beyond).
    public var maxLineBytes: Int
    /// The whole header section (431).
    public var maxHeaderBytes: Int
    /// The body, after de-chunking (413).
    public var maxBodyBytes: Int
    /// Header fields in one request (431).
    public var maxHeaderCount: Int

    public init(maxLineBytes: Int = 8 * 1024, maxHeaderBytes: Int = 32 * 1024, maxBodyBytes: Int = 1024 * 1024, maxHeaderCount: Int = 100) {
        self.maxLineBytes = maxLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderCount = maxHeaderCount
    }
}

/// A request the server refuses, with the status it answers before closing the connection.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var detail: String

    public init(_ status: Int, _ detail: String) {
        self.status = status
        self.detail = detail
    }

    public var description: String { "\(status): \(detail)" }
}
