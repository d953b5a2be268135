import Foundation
import Synchronization

/// The manager's events (placement changes, and later overloads, splits, failures,
/// recoveries), numbered, kept for replay, and handed to every listener.
public final class EventBus: Sendable {
    public struct Event: Sendable, Equatable, Encodable {
        public var id: Int
        /// `placement`, `overload`, `split`, `failure`, `recovery`.
        public var type: String
        public var time: String
        /// The event's JSON object.
        public var data: String
    }

    private struct State {
        var nextID = 1
        var recent: [Event] = []
        var closed = false
    }

    private let state = Mutex(State())
    private let changed = NSCondition()
    /// Events kept for `Last-Event-ID` replay.
    public let keep: Int

    public init(keep: Int = 256) {
        self.keep = keep
    }

    /// Publishes an event whose data is `payload` as JSON.
    @discardableResult
    public func publish(_ type: String, _ payload: some Encodable) -> Event {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(payload)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let time = ISO8601DateFormatter().string(from: Date())
        let event = state.withLock { state -> Event in
            let event = Event(id: state.nextID, type: type, time: time, data: data)
            state.nextID += 1
            state.recent.append(event)
            if state.recent.count > keep { state.recent.removeFirst(state.recent.count - keep) }
            return event
        }
        changed.lock()
        changed.broadcast()
        changed.unlock()
        return event
    }

    /// Continues numbering after `id` (a restarted manager, so event ids never repeat).
    public func resume(after id: Int) {
        state.withLock { state in
            if state.recent.isEmpty && state.nextID <= id { state.nextID = id + 1 }
        }
    }

    /// Events after `id`, waiting up to `timeout` seconds for one; empty on timeout or close.
    public func events(after id: Int, timeout: Double) -> [Event] {
        let deadline = Date().addingTimeInterval(timeout)
        changed.lock()
        defer { changed.unlock() }
        while true {
            let (pending, closed) = state.withLock { state in (state.recent.filter { $0.id > id }, state.closed) }
            if !pending.isEmpty || closed { return pending }
            if !changed.wait(until: deadline) { return [] }
        }
    }

    /// The id of the newest event (0 before any).
    public var lastID: Int { state.withLock { $0.nextID - 1 } }

    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Ends every stream.
    public func close() {
        state.withLock { $0.closed = true }
        changed.lock()
        changed.broadcast()
        changed.unlock()
    }
}
