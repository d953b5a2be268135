import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The Swift API to a running E2D's control socket (what the server agent uses).
///
/// One request at a time per client; for events, make a second client and call `subscribe`.
public final class DataplaneControlClient {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var nextID = 1

    /// Connects to the socket at `path`.
    public init(path: String) throws {
        let (descriptor, address) = try UnixSocket.open(path)
        guard UnixSocket.call(connect, descriptor, address) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ControlSocketError("cannot connect to E2D at \(path): \(reason)")
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Sends a request and waits for its response.
    public func request(_ request: ControlRequest) throws -> ControlResponse {
        var request = request
        request.id = nextID
        nextID += 1
        try sendLine(try JSONEncoder().encode(request))
        let response = try JSONDecoder().decode(ControlResponse.self, from: try readLine())
        return response
    }

    /// Sends a request and throws its error when it was refused.
    @discardableResult
    public func perform(_ request: ControlRequest) throws -> ControlResponse {
        let response = try self.request(request)
        guard response.ok else { throw ControlSocketError("\(request.op.rawValue): \(response.error ?? "refused")") }
        return response
    }

    public func statistics() throws -> DataplaneStatistics {
        guard let statistics = try perform(ControlRequest(op: .stats)).statistics else { throw ControlSocketError("stats: no statistics in the response") }
        return statistics
    }

    public func configuration() throws -> DataplaneConfiguration {
        guard let configuration = try perform(ControlRequest(op: .graph)).configuration else { throw ControlSocketError("graph: no configuration in the response") }
        return configuration
    }

    @discardableResult
    public func addVport(_ vport: VportSpec) throws -> VportAttachment {
        guard let attachment = try perform(ControlRequest(op: .addVport, vport: vport)).vport else { throw ControlSocketError("vport.add: no attachment in the response") }
        return attachment
    }

    public func removeVport(_ name: String) throws { try perform(ControlRequest(op: .removeVport, name: name)) }
    public func addModule(_ module: ModuleSpec) throws { try perform(ControlRequest(op: .addModule, module: module)) }
    public func removeModule(_ name: String) throws { try perform(ControlRequest(op: .removeModule, name: name)) }
    public func link(_ from: String, to: String) throws { try perform(ControlRequest(op: .addLink, link: LinkSpec(from: from, to: to))) }
    public func unlink(_ from: String) throws { try perform(ControlRequest(op: .removeLink, name: from)) }

    /// Adds classifier rules; the time the dataplane took to apply them, in microseconds.
    @discardableResult
    public func addRules(_ rules: [ModuleSpec.Rule], to module: String, at position: Int? = nil) throws -> Double {
        try perform(ControlRequest(op: .addRules, name: module, rules: rules, position: position)).appliedMicros ?? 0
    }

    @discardableResult
    public func removeRules(_ filters: [String], from module: String) throws -> Double {
        try perform(ControlRequest(op: .removeRules, name: module, filters: filters)).appliedMicros ?? 0
    }

    public func setRanges(_ ranges: [ModuleSpec.Range], of module: String) throws { try perform(ControlRequest(op: .setRanges, name: module, ranges: ranges)) }
    public func addExceptions(_ flows: [FlowSpec], to module: String) throws { try perform(ControlRequest(op: .addExceptions, name: module, flows: flows)) }
    public func removeExceptions(_ flows: [FlowSpec], from module: String) throws { try perform(ControlRequest(op: .removeExceptions, name: module, flows: flows)) }

    /// Applies several requests together, all or none.
    @discardableResult
    public func batch(_ requests: [ControlRequest]) throws -> ControlResponse { try perform(ControlRequest(op: .batch, requests: requests)) }

    /// Turns this connection into an event stream; read events with `nextEvent`.
    public func subscribe() throws { try perform(ControlRequest(op: .subscribe)) }

    /// The next event (blocks until one comes; throws when E2D went away).
    public func nextEvent() throws -> DataplaneEvent {
        try JSONDecoder().decode(DataplaneEvent.self, from: try readLine())
    }

    /// The next event, or nil when none came within `timeout` seconds.
    public func nextEvent(timeout: Double) throws -> DataplaneEvent? {
        if !buffer.contains(UInt8(ascii: "\n")) {
            var descriptor = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(timeout * 1000)) > 0 else { return nil }
        }
        return try nextEvent()
    }

    private func sendLine(_ data: Data) throws {
        guard UnixSocket.write(data + Data("\n".utf8), to: descriptor) else { throw ControlSocketError("E2D closed the control connection") }
    }

    private func readLine() throws -> Data {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return line
            }
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw ControlSocketError("E2D closed the control connection") }
            buffer += chunk[0..<count]
        }
    }
}
