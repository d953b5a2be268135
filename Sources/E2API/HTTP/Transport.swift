#if canImport(Glibc)
import Glibc
#endif

/// A connected stream the server reads requests from and writes responses to.
protocol Transport: AnyObject {
    /// Up to `maxLength` bytes; empty at the end of the stream. Throws `TransportError.timedOut`
    /// when nothing came before the read timeout.
    func read(maxLength: Int) throws -> [UInt8]
    func write(_ bytes: [UInt8]) throws
    /// How long a read may wait, in seconds.
    func setReadTimeout(_ seconds: Double)
    func close()
}

enum TransportError: Error { case timedOut, closed, failed(String) }

/// A plain TCP connection.
final class SocketTransport: Transport {
    let socket: Int32
    private var closed = false

    init(socket: Int32) {
        self.socket = socket
        var one: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func read(maxLength: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maxLength)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, maxLength, 0) }
            if count >= 0 { return Array(buffer.prefix(count)) }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw TransportError.timedOut }
            throw TransportError.failed(String(cString: strerror(errno)))
        }
    }

    func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { send(socket, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw TransportError.failed(String(cString: strerror(errno)))
            }
            sent += count
        }
    }

    func setReadTimeout(_ seconds: Double) {
        let whole = max(0, seconds)
        var timeout = timeval(tv_sec: Int(whole), tv_usec: Int((whole - Double(Int(whole))) * 1_000_000))
        if timeout.tv_sec == 0 && timeout.tv_usec == 0 { timeout.tv_usec = 1000 }
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func close() {
        guard !closed else { return }
        closed = true
        shutdown(socket, Int32(SHUT_RDWR))
        Glibc.close(socket)
    }

    deinit { close() }
}

/// A TLS session over a TCP connection; the handshake runs on first use, under the read timeout.
final class TLSTransport: Transport {
    private let plain: SocketTransport
    private let connection: TLSConnection
    private var handshaken = false

    init(socket: Int32, context: TLSContext) throws {
        plain = SocketTransport(socket: socket)
        connection = try TLSConnection(context: context, socket: socket)
    }

    func handshake() throws {
        guard !handshaken else { return }
        try connection.handshake()
        handshaken = true
    }

    func read(maxLength: Int) throws -> [UInt8] {
        try handshake()
        do {
            return try connection.read(maxLength: maxLength)
        } catch {
            if errno == EAGAIN || errno == EWOULDBLOCK { throw TransportError.timedOut }
            throw error
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try handshake()
        try connection.write(bytes)
    }

    func setReadTimeout(_ seconds: Double) { plain.setReadTimeout(seconds) }

    func close() {
        if handshaken { connection.close() }
        plain.close()
    }
}
