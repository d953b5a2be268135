import CE2OpenSSL

/// One TLS session over a connected, blocking socket.
///
/// The caller owns the socket and closes it after `close()`; a connection is used by one
/// thread at a time.
public final class TLSConnection {
    /// The `SSL`.
    private let pointer: OpaquePointer
    private let context: TLSContext

    /// Wraps `socket`; a client names the server it expects (SNI and certificate check).
    public init(context: TLSContext, socket: Int32, serverName: String? = nil) throws(TLSError) {
        guard let ssl = SSL_new(context.pointer) else { throw .drainingQueue("creating a TLS session") }
        pointer = ssl
        self.context = context
        guard SSL_set_fd(ssl, socket) == 1 else { throw .drainingQueue("attaching socket \(socket) to a TLS session") }
        if context.isServer {
            SSL_set_accept_state(ssl)
        } else {
            SSL_set_connect_state(ssl)
            if let serverName {
                guard ce2_ssl_set_server_name(ssl, serverName) == 1, SSL_set1_host(ssl, serverName) == 1 else {
                    throw .drainingQueue("setting the expected server name \(serverName)")
                }
            }
        }
    }

    /// Runs the handshake to its end.
    public func handshake() throws(TLSError) {
        let result = SSL_do_handshake(pointer)
        guard result == 1 else {
            var error = TLSError.drainingQueue("the TLS handshake")
            let verify = SSL_get_verify_result(pointer)
            if verify != X509_V_OK {
                error.reasons.append("certificate verification: " + String(cString: X509_verify_cert_error_string(verify)))
            }
            throw error
        }
    }

    /// Reads at most `maxLength` bytes; empty when the peer closed the session.
    public func read(maxLength: Int = 16_384) throws(TLSError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maxLength)
        var count = 0
        let result = buffer.withUnsafeMutableBytes { SSL_read_ex(pointer, $0.baseAddress, $0.count, &count) }
        guard result == 1 else {
            let reason = SSL_get_error(pointer, result)
            if reason == SSL_ERROR_ZERO_RETURN { return [] }
            throw .drainingQueue("reading from a TLS session")
        }
        return Array(buffer.prefix(count))
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8]) throws(TLSError) {
        var written = 0
        let result = bytes.withUnsafeBytes { SSL_write_ex(pointer, $0.baseAddress, $0.count, &written) }
        guard result == 1, written == bytes.count else { throw .drainingQueue("writing to a TLS session") }
    }

    /// Sends close_notify; the socket stays open for the caller to close.
    public func close() {
        _ = SSL_shutdown(pointer)
    }

    /// The negotiated protocol (`"TLSv1.3"`).
    public var protocolVersion: String { String(cString: SSL_get_version(pointer)) }

    /// The negotiated cipher suite (`"TLS_AES_256_GCM_SHA384"`).
    public var cipherSuite: String { String(cString: SSL_CIPHER_get_name(SSL_get_current_cipher(pointer))) }

    /// The subject of the peer's certificate (`"CN=localhost"`), if it sent one.
    public var peerSubject: String? {
        guard let certificate = SSL_get1_peer_certificate(pointer) else { return nil }
        defer { X509_free(certificate) }
        guard let bio = BIO_new(BIO_s_mem()) else { return nil }
        defer { BIO_free(bio) }
        X509_NAME_print_ex(bio, X509_get_subject_name(certificate), 0, ce2_xn_flag_rfc2253())
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = BIO_read(bio, &buffer, Int32(buffer.count))
        return count > 0 ? String(decoding: buffer.prefix(Int(count)), as: UTF8.self) : ""
    }

    deinit { SSL_free(pointer) }
}
