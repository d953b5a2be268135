import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP client that sends exactly the bytes it is given, for framing tests.
final class RawConnection {
    let socket: Int32

    init(host: String, port: UInt16) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else { throw POSIXError(.EINVAL) }
        defer { freeaddrinfo(result) }
        socket = Glibc.socket(first.pointee.ai_family, first.pointee.ai_socktype, 0)
        guard connect(socket, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            Glibc.close(socket)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return }
        guard Glibc.send(socket, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { throw POSIXError(.EIO) }
    }

    /// Reads until `marker` has arrived, or until the server closes (or 5 s pass).
    func receive(until marker: String?) throws -> String {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let marker, String(decoding: data, as: UTF8.self).contains(marker) { break }
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            data += buffer.prefix(count)
        }
        return String(decoding: data, as: UTF8.self)
    }

    deinit { Glibc.close(socket) }
}

/// curl, the independent HTTP client.
enum Curl {
    static func run(_ arguments: [String], includeErrors: Bool = false) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["--max-time", "10"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = includeErrors ? output : FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw POSIXError(.EIO) }
        return String(decoding: data, as: UTF8.self)
    }
}
