import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// E2D's local control socket: a Unix stream socket speaking one JSON object per line
/// (requests in, responses out; after `subscribe`, events out). docs/dataplane.md has the
/// protocol. Each connection has its own thread; requests are few and small.
public final class ControlSocketServer: Sendable {
    public let path: String
    let controller: DataplaneController
    private let listener: Int32
    private let subscribers = Mutex<[Int32]>([])
    private let stopping = Atomic<Bool>(false)
    /// The longest request line accepted.
    static let maximumLine = 1 << 20

    /// Binds `path` (replacing a stale socket file) and starts accepting.
    public init(path: String, controller: DataplaneController) throws {
        self.path = path
        self.controller = controller
        let (descriptor, address) = try UnixSocket.open(path)
        unlink(path)
        guard UnixSocket.call(bind, descriptor, address) == 0, listen(descriptor, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ControlSocketError("cannot listen on \(path): \(reason)")
        }
        chmod(path, 0o600)
        listener = descriptor
        let server = self
        Thread.detachNewThread { server.acceptLoop() }
        Thread.detachNewThread { server.notifyLoop() }
    }

    /// Stops accepting and removes the socket file.
    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        unlink(path)
    }

    private func acceptLoop() {
        while !stopping.load(ordering: .acquiring) {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            let server = self
            Thread.detachNewThread { server.serve(connection) }
        }
    }

    /// Reads request lines and answers each; a `subscribe` turns the connection into an event stream.
    private func serve(_ connection: Int32) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
                let request: ControlRequest
                do {
                    request = try JSONDecoder().decode(ControlRequest.self, from: Data(line))
                } catch {
                    let id = (try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])?["id"] as? Int
                    send(ControlResponse(id: id, ok: false, error: "bad request: \(Self.describe(error))"), to: connection)
                    continue
                }
                if request.op == .subscribe {
                    subscribers.withLock { $0.append(connection) }
                    send(ControlResponse(id: request.id, ok: true), to: connection)
                    continue
                }
                send(controller.handle(request), to: connection)
            }
            if buffer.count > Self.maximumLine {
                send(ControlResponse(id: nil, ok: false, error: "request line longer than \(Self.maximumLine) bytes; closing"), to: connection)
                break
            }
            let count = read(connection, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            buffer += chunk[0..<count]
        }
        subscribers.withLock { $0.removeAll { $0 == connection } }
        close(connection)
    }

    /// Delivers events to subscribers, and watches the processes attached to native vports.
    private func notifyLoop() {
        while !stopping.load(ordering: .acquiring) {
            var events = controller.outbox.take(timeout: 0.1)
            for (vport, pid) in controller.attachedNFs where kill(pid, 0) != 0 && errno == ESRCH {
                vport.clearAttachedPid()
                events.append(DataplaneEvent(kind: .nfGone, vport: vport.spec.name, pid: pid))
            }
            guard !events.isEmpty else { continue }
            for event in events { broadcast(event) }
        }
    }

    /// Sends an event to every subscriber (also used for events raised outside the loop).
    public func broadcast(_ event: DataplaneEvent) {
        guard let data = try? JSONEncoder().encode(event) else { return }
        let line = data + Data("\n".utf8)
        subscribers.withLock { subscribers in
            subscribers.removeAll { connection in !UnixSocket.write(line, to: connection) }
        }
    }

    private func send(_ response: ControlResponse, to connection: Int32) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(response) else { return }
        _ = UnixSocket.write(data + Data("\n".utf8), to: connection)
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return (path.isEmpty ? "" : "\(path): ") + context.debugDescription
        case DecodingError.keyNotFound(let key, let context):
            let path = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            return "\(path): missing"
        default:
            return "\(error)"
        }
    }
}

public struct ControlSocketError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
