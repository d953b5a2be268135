import Synchronization

/// Responses computed from the stored state, kept until the state changes.
///
/// Status and plans are pure functions of the stored documents (and a plan's body), and cost a
/// policy check plus a placement each: monitoring systems polling `/v1/status` would otherwise
/// pay that on every request. Entries are keyed by the state's version, so a committed change
/// makes them stale at once.
public final class ResultCache: Sendable {
    private let entries = Mutex<(version: Int64, responses: [String: HTTPResponse])>((-1, [:]))
    /// Distinct keys kept per version (plans with many different bodies are not all kept).
    let capacity: Int

    public init(capacity: Int = 64) {
        self.capacity = capacity
    }

    /// The cached response for `key` at `version`, or `make()`'s, which is then kept.
    /// Errors are not cached: the next request tries again.
    public func response(for key: String, version: Int64, _ make: () throws -> HTTPResponse) throws -> HTTPResponse {
        if let hit = entries.withLock({ $0.version == version ? $0.responses[key] : nil }) { return hit }
        let response = try make()
        entries.withLock { entries in
            if entries.version != version { entries = (version, [:]) }
            if entries.responses.count < capacity { entries.responses[key] = response }
        }
        return response
    }
}
