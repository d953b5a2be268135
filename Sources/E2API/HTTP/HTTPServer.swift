import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server on POSIX sockets, plain or TLS, one thread per connection.
///
/// A thread per connection keeps every request's I/O blocking and simple, with timeouts set
/// on the socket; `maxConnections` bounds the threads (beyond it new connections get 503).
/// Slow clients meet three deadlines: before a request's first byte (idle), for the header
/// section, and for the body; each answers 408 and closes.
public final class HTTPServer: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: UInt16
        public var tls: TLSContext?
        public var limits: HTTPLimits
        public var idleTimeout: Double
        public var headerTimeout: Double
        public var bodyTimeout: Double
        public var maxConnections: Int
        public var maxRequestsPerConnection: Int

        public init(host: String = "127.0.0.1", port: UInt16 = 8080, tls: TLSContext? = nil, limits: HTTPLimits = HTTPLimits(),
                    idleTimeout: Double = 60, headerTimeout: Double = 10, bodyTimeout: Double = 30,
                    maxConnections: Int = 1024, maxRequestsPerConnection: Int = 10_000) {
            self.host = host
            self.port = port
            self.tls = tls
            self.limits = limits
            self.idleTimeout = idleTimeout
            self.headerTimeout = headerTimeout
            self.bodyTimeout = bodyTimeout
            self.maxConnections = maxConnections
            self.maxRequestsPerConnection = maxRequestsPerConnection
        }
    }

    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    public let configuration: Configuration
    private let handler: Handler
    private var listener: Int32 = -1
    /// Open connections by socket, with whether a request is being handled on each.
    private let connections = Mutex<[Int32: Bool]>([:])
    private let stopping = Atomic<Bool>(false)
    private let acceptDone = DispatchSemaphore(value: 0)

    public init(configuration: Configuration, handler: @escaping Handler) {
        self.configuration = configuration
        self.handler = handler
    }

    /// Binds and starts accepting; returns the bound port (useful with port 0).
    public func start() throws -> UInt16 {
        // OpenSSL writes with write(2): a client that hangs up would raise SIGPIPE and end the
        // process. Failed writes are handled where they happen instead.
        signal(SIGPIPE, SIG_IGN)
        listener = try Self.listen(host: configuration.host, port: configuration.port)
        let port = Self.boundPort(listener)
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "e2-accept"
        thread.start()
        return port
    }

    /// Connections now open.
    public var openConnections: Int { connections.withLock { $0.count } }

    /// Stops accepting, lets requests in flight finish for up to `drain` seconds, closes the rest.
    public func stop(drain: Double = 10) {
        guard !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        acceptDone.wait()
        let deadline = Date().addingTimeInterval(drain)
        while Date() < deadline {
            // Idle connections are woken and closed; busy ones finish their response first.
            let idle = connections.withLock { $0.filter { !$0.value }.map(\.key) }
            for socket in idle { shutdown(socket, Int32(SHUT_RD)) }
            if openConnections == 0 { return }
            usleep(10_000)
        }
        for socket in connections.withLock({ Array($0.keys) }) { shutdown(socket, Int32(SHUT_RDWR)) }
    }

    // MARK: Accepting

    private func acceptLoop() {
        defer { acceptDone.signal() }
        while !stopping.load(ordering: .sequentiallyConsistent) {
            let socket = accept(listener, nil, nil)
            if socket < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if stopping.load(ordering: .sequentiallyConsistent) { return }
                usleep(1000)  // EMFILE and the like: back off rather than spin
                continue
            }
            let admitted = connections.withLock { open -> Bool in
                guard open.count < configuration.maxConnections else { return false }
                open[socket] = false
                return true
            }
            guard admitted else {
                let transport = SocketTransport(socket: socket)
                try? transport.write(Problem(status: 503, detail: "the manager is at its limit of \(configuration.maxConnections) connections; retry later").response
                    .serialized(close: true))
                transport.close()
                continue
            }
            let thread = Thread { [self] in serve(socket) }
            thread.stackSize = 8 << 20  // mapped lazily; deep policies and placements recurse
            thread.start()
        }
    }

    // MARK: One connection

    private func serve(_ socket: Int32) {
        defer { _ = connections.withLock { $0.removeValue(forKey: socket) } }
        let transport: any Transport
        if let tls = configuration.tls {
            guard let secure = try? TLSTransport(socket: socket, context: tls) else {
                Glibc.close(socket)
                return
            }
            secure.setReadTimeout(configuration.headerTimeout)
            guard (try? secure.handshake()) != nil else {
                secure.close()
                return
            }
            transport = secure
        } else {
            transport = SocketTransport(socket: socket)
        }
        defer { transport.close() }

        var buffer: [UInt8] = []
        var served = 0
        while true {
            let request: HTTPRequest
            switch readRequest(transport, &buffer) {
            case .request(let next): request = next
            case .closed: return
            case .refused(let response):
                try? transport.write(response.serialized(close: true))
                return
            }
            connections.withLock { $0[socket] = true }
            served += 1
            let response = handler(request)
            if let stream = response.stream, request.method != "HEAD" {
                // A stream ends the connection: its length is unknown.
                guard (try? transport.write(response.serialized(close: true))) != nil else { return }
                stream { [self] bytes in
                    !stopping.load(ordering: .sequentiallyConsistent) && (try? transport.write(bytes)) != nil
                }
                return
            }
            let last = !request.keepAlive || served >= configuration.maxRequestsPerConnection || stopping.load(ordering: .sequentiallyConsistent)
            let written = (try? transport.write(response.serialized(close: last, headOnly: request.method == "HEAD"))) != nil
            connections.withLock { $0[socket] = false }
            if last || !written { return }
        }
    }

    enum ReadOutcome {
        case request(HTTPRequest)
        case closed
        case refused(HTTPResponse)
    }

    /// Reads until a whole request is in `buffer`, under the idle, header and body deadlines.
    private func readRequest(_ transport: any Transport, _ buffer: inout [UInt8]) -> ReadOutcome {
        var deadline: Date?
        var headersComplete = false
        var sentContinue = false
        while true {
            do {
                if let (request, consumed) = try HTTPRequestParser.parse(buffer, limits: configuration.limits) {
                    buffer.removeFirst(consumed)
                    return .request(request)
                }
            } catch {
                return .refused(Problem(status: error.status, detail: error.detail).response)
            }
            if !headersComplete, let end = Self.headerEnd(buffer) {
                headersComplete = true
                deadline = Date().addingTimeInterval(configuration.bodyTimeout)
                // A client waiting for 100 Continue gets it once its headers pass.
                if !sentContinue, Self.expectsContinue(buffer[..<end]) {
                    sentContinue = true
                    try? transport.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                }
            }
            let wait: Double
            if let deadline {
                wait = deadline.timeIntervalSinceNow
            } else if buffer.isEmpty {
                wait = configuration.idleTimeout
            } else {
                deadline = Date().addingTimeInterval(configuration.headerTimeout)
                wait = configuration.headerTimeout
            }
            if stopping.load(ordering: .sequentiallyConsistent) && buffer.isEmpty { return .closed }
            guard wait > 0 else { return .refused(timeout(buffer, headersComplete)) }
            transport.setReadTimeout(wait)
            do {
                let bytes = try transport.read(maxLength: 16_384)
                if bytes.isEmpty { return .closed }
                if buffer.isEmpty && deadline == nil { deadline = Date().addingTimeInterval(configuration.headerTimeout) }
                buffer += bytes
            } catch TransportError.timedOut {
                if stopping.load(ordering: .sequentiallyConsistent) && buffer.isEmpty { return .closed }
                return .refused(timeout(buffer, headersComplete))
            } catch {
                return .closed
            }
        }
    }

    private func timeout(_ buffer: [UInt8], _ headersComplete: Bool) -> HTTPResponse {
        let what = buffer.isEmpty ? "no request arrived within \(configuration.idleTimeout) s"
            : headersComplete ? "the body did not arrive within \(configuration.bodyTimeout) s"
            : "the headers did not arrive within \(configuration.headerTimeout) s"
        return Problem(status: 408, detail: what).response
    }

    static func headerEnd(_ buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4) where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index + 4
        }
        return nil
    }

    static func expectsContinue(_ head: ArraySlice<UInt8>) -> Bool {
        String(decoding: head, as: UTF8.self).lowercased().contains("\r\nexpect: 100-continue")
    }

    // MARK: Sockets

    static func listen(host: String, port: UInt16) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            throw HTTPServerError("cannot resolve listen address \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(result) }
        let socket = Glibc.socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard socket >= 0 else { throw HTTPServerError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if first.pointee.ai_family == AF_INET6 {
            setsockopt(socket, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        guard bind(socket, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(socket)
            throw HTTPServerError("cannot listen on \(host):\(port): \(reason)")
        }
        guard Glibc.listen(socket, 512) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(socket)
            throw HTTPServerError("listen on \(host):\(port): \(reason)")
        }
        return socket
    }

    static func boundPort(_ socket: Int32) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        if storage.ss_family == sa_family_t(AF_INET6) {
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) } }
        }
        return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) } }
    }
}

/// The server could not start.
public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
