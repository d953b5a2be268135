import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 client for webhook checks and deliveries: one request per connection.
public enum HTTPClient {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Sends one request to an `http://` or `https://` URL and returns the response status.
    public static func send(_ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8] = [], timeout: Double = 5) throws(Failure) -> Int {
        guard let components = URLComponents(string: url), let scheme = components.scheme, ["http", "https"].contains(scheme),
              let host = components.host else {
            throw Failure(description: "\(url) is not an http:// or https:// URL")
        }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        let target = (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath) + (components.percentEncodedQuery.map { "?\($0)" } ?? "")
        let socket = try connect(host: host, port: port, timeout: timeout)
        defer { Glibc.close(socket) }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host.contains(":") ? "[\(host)]" : host):\(port)\r\nConnection: close\r\nUser-Agent: e2-manager\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        let request = Array((head + "\r\n").utf8) + body
        var response: [UInt8] = []
        if scheme == "https" {
            do {
                let connection = try TLSConnection(context: try TLSContext.client(), socket: socket, serverName: host)
                try connection.handshake()
                try connection.write(request)
                while response.count < 65_536, !response.contains(10) {
                    let chunk = try connection.read(maxLength: 4096)
                    if chunk.isEmpty { break }
                    response += chunk
                }
            } catch {
                throw Failure(description: "TLS to \(host):\(port): \(error)")
            }
        } else {
            guard Glibc.send(socket, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else {
                throw Failure(description: "sending to \(host):\(port) failed")
            }
            var buffer = [UInt8](repeating: 0, count: 4096)
            while response.count < 65_536, !response.contains(10) {
                let count = recv(socket, &buffer, buffer.count, 0)
                if count <= 0 { break }
                response += buffer.prefix(count)
            }
        }
        let statusLine = String(decoding: response.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw Failure(description: "\(host):\(port) did not answer with an HTTP status line")
        }
        return status
    }

    /// Sends one plain-HTTP request and reads the whole response (the server closes the
    /// connection after it); the status and the body. For agents talking to the manager.
    public static func fetch(_ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8] = [],
                             timeout: Double = 5) throws(Failure) -> (status: Int, body: [UInt8]) {
        guard let components = URLComponents(string: url), components.scheme == "http", let host = components.host else {
            throw Failure(description: "\(url) is not an http:// URL")
        }
        let port = components.port ?? 80
        let target = (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath) + (components.percentEncodedQuery.map { "?\($0)" } ?? "")
        let socket = try connect(host: host, port: port, timeout: timeout)
        defer { Glibc.close(socket) }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host.contains(":") ? "[\(host)]" : host):\(port)\r\nConnection: close\r\nUser-Agent: e2-agent\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        let request = Array((head + "\r\n").utf8) + body
        guard Glibc.send(socket, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else {
            throw Failure(description: "sending to \(host):\(port) failed")
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while response.count < 64 << 20 {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response += buffer.prefix(count)
        }
        guard let end = response.firstRange(of: [13, 10, 13, 10]) else { throw Failure(description: "\(host):\(port) sent no complete response") }
        let header = String(decoding: response[..<end.lowerBound], as: UTF8.self)
        let parts = header.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw Failure(description: "\(host):\(port) did not answer with an HTTP status line")
        }
        var payload = Array(response[end.upperBound...])
        if header.lowercased().contains("transfer-encoding: chunked") {
            var decoded: [UInt8] = []
            var at = 0
            while let lineEnd = payload[at...].firstRange(of: [13, 10]) {
                guard let size = Int(String(decoding: payload[at..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";")[0], radix: 16), size > 0,
                      lineEnd.upperBound + size <= payload.count else { break }
                decoded += payload[lineEnd.upperBound..<lineEnd.upperBound + size]
                at = lineEnd.upperBound + size + 2
                if at >= payload.count { break }
            }
            payload = decoded
        }
        return (status, payload)
    }

    static func connect(host: String, port: Int, timeout: Double) throws(Failure) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else {
            throw Failure(description: "cannot resolve \(host)")
        }
        defer { freeaddrinfo(result) }
        let socket = Glibc.socket(first.pointee.ai_family, first.pointee.ai_socktype, 0)
        var time = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        guard Glibc.connect(socket, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(socket)
            throw Failure(description: "cannot connect to \(host):\(port): \(reason)")
        }
        return socket
    }
}
