import E2API
import Foundation
import XCTest

/// Proves the OpenSSL shim is real: handshakes over loopback with generated certificates.
final class TLSHandshakeTests: XCTestCase {
    var certificates: TestCertificates!

    override func setUpWithError() throws {
        certificates = try TestCertificates()
    }

    override func tearDown() {
        certificates.remove()
    }

    func testTLS13HandshakeAndOneMessageEachWay() throws {
        let server = try TLSContext.server(certificateChain: certificates.path("server.pem"), privateKey: certificates.path("server.key"))
        let client = try TLSContext.client(trustedCA: certificates.path("ca.pem"))
        let pair = try LoopbackPair()
        defer { pair.close() }

        let serverSide = ServerThread { () throws -> (String, [UInt8]) in
            let connection = try TLSConnection(context: server, socket: pair.server)
            try connection.handshake()
            let request = try connection.read()
            try connection.write(Array("pong: ".utf8) + request)
            connection.close()
            return (connection.protocolVersion, request)
        }

        let connection = try TLSConnection(context: client, socket: pair.client, serverName: "localhost")
        try connection.handshake()
        XCTAssertEqual(connection.protocolVersion, "TLSv1.3")
        XCTAssertTrue(connection.cipherSuite.hasPrefix("TLS_"), connection.cipherSuite)
        XCTAssertEqual(connection.peerSubject, "CN=localhost")
        try connection.write(Array("ping".utf8))
        XCTAssertEqual(String(decoding: try connection.read(), as: UTF8.self), "pong: ping")
        XCTAssertEqual(try connection.read(), [], "the server closed the session with close_notify")

        let (serverVersion, request) = try serverSide.result()
        XCTAssertEqual(serverVersion, "TLSv1.3")
        XCTAssertEqual(request, Array("ping".utf8))
    }

    func testAClientRefusesAServerItDoesNotTrust() throws {
        let other = try TestCertificates()
        defer { other.remove() }
        let server = try TLSContext.server(certificateChain: certificates.path("server.pem"), privateKey: certificates.path("server.key"))
        let client = try TLSContext.client(trustedCA: other.path("ca.pem"))
        let pair = try LoopbackPair()
        defer { pair.close() }
        let serverSide = ServerThread { () throws -> Void in
            try TLSConnection(context: server, socket: pair.server).handshake()
        }
        XCTAssertThrowsError(try TLSConnection(context: client, socket: pair.client, serverName: "localhost").handshake()) { error in
            XCTAssertTrue("\(error)".contains("certificate verify failed"), "\(error)")
        }
        XCTAssertThrowsError(try serverSide.result(), "the server sees the client's alert")
    }

    func testAClientRefusesTheWrongServerName() throws {
        let server = try TLSContext.server(certificateChain: certificates.path("server.pem"), privateKey: certificates.path("server.key"))
        let client = try TLSContext.client(trustedCA: certificates.path("ca.pem"))
        let pair = try LoopbackPair()
        defer { pair.close() }
        let serverSide = ServerThread { () throws -> Void in
            try TLSConnection(context: server, socket: pair.server).handshake()
        }
        XCTAssertThrowsError(try TLSConnection(context: client, socket: pair.client, serverName: "manager.example").handshake()) { error in
            XCTAssertTrue("\(error)".contains("hostname mismatch"), "\(error)")
        }
        _ = try? serverSide.result()
    }

    func testMutualTLSNeedsAClientCertificate() throws {
        let server = try TLSContext.server(
            certificateChain: certificates.path("server.pem"), privateKey: certificates.path("server.key"), clientCA: certificates.path("ca.pem"))

        let withCertificate = try TLSContext.client(
            trustedCA: certificates.path("ca.pem"), certificate: certificates.path("client.pem"), privateKey: certificates.path("client.key"))
        let pair = try LoopbackPair()
        let accepted = ServerThread { () throws -> String? in
            let connection = try TLSConnection(context: server, socket: pair.server)
            try connection.handshake()
            return connection.peerSubject
        }
        let connection = try TLSConnection(context: withCertificate, socket: pair.client, serverName: "localhost")
        try connection.handshake()
        XCTAssertEqual(try accepted.result(), "CN=controller")
        pair.close()

        let without = try TLSContext.client(trustedCA: certificates.path("ca.pem"))
        let second = try LoopbackPair()
        defer { second.close() }
        let refused = ServerThread { () throws -> Void in
            try TLSConnection(context: server, socket: second.server).handshake()
        }
        // In TLS 1.3 the client finishes its side first and learns of the refusal on its first read.
        let anonymous = try TLSConnection(context: without, socket: second.client, serverName: "localhost")
        try? anonymous.handshake()
        XCTAssertThrowsError(try refused.result()) { error in
            XCTAssertTrue("\(error)".contains("peer did not return a certificate"), "\(error)")
        }
        XCTAssertThrowsError(try anonymous.read())
    }

    func testAMissingKeyFileIsNamedInTheError() throws {
        XCTAssertThrowsError(try TLSContext.server(certificateChain: certificates.path("server.pem"), privateKey: "/nonexistent/key.pem")) { error in
            XCTAssertTrue("\(error)".contains("loading the private key from /nonexistent/key.pem"), "\(error)")
        }
    }

    func testAKeyThatDoesNotMatchItsCertificateIsRefused() throws {
        XCTAssertThrowsError(try TLSContext.server(certificateChain: certificates.path("server.pem"), privateKey: certificates.path("client.key"))) { error in
            XCTAssertTrue("\(error)".contains("key values mismatch"), "\(error)")
        }
    }
}

/// Runs a closure on its own thread, for the server side of a blocking handshake.
final class ServerThread<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Result<Value, any Error>?

    init(_ body: @escaping @Sendable () throws -> Value) {
        let thread = Thread { [self] in
            outcome = Result { try body() }
            done.signal()
        }
        thread.start()
    }

    func result() throws -> Value {
        done.wait()
        return try outcome!.get()
    }
}
