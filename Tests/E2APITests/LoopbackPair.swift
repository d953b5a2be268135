import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Two connected TCP sockets over 127.0.0.1, made through a real listen and accept.
struct LoopbackPair {
    let server: Int32
    let client: Int32

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
        defer { Glibc.close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(listener, raw, length) == 0 && listen(listener, 1) == 0 && getsockname(listener, raw, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.init(rawValue: errno)!) }

        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) == 0 }
        }
        guard connected else { throw POSIXError(.init(rawValue: errno)!) }
        let server = accept(listener, nil, nil)
        guard server >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
        self.server = server
        self.client = client
    }

    func close() {
        Glibc.close(server)
        Glibc.close(client)
    }
}
