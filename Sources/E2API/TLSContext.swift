import CE2OpenSSL

/// The settings shared by TLS connections of one side: certificates, trust and the profile.
///
/// Every context follows Mozilla's "intermediate" profile (TLS 1.2 and 1.3, AEAD ciphers with
/// forward secrecy, X25519/P-256/P-384), the profile the northbound API promises. OpenSSL
/// makes an `SSL_CTX` safe to share between threads once it is set up, hence `@unchecked`.
public final class TLSContext: @unchecked Sendable {
    /// The `SSL_CTX`.
    let pointer: OpaquePointer
    public let isServer: Bool

    /// Mozilla intermediate: the TLS 1.2 cipher list (TLS 1.3 suites follow below).
    static let intermediateCiphers = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
        "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")
    static let intermediateSuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
    static let intermediateGroups = "X25519:prime256v1:secp384r1"

    private init(server: Bool) throws(TLSError) {
        guard let context = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()) else {
            throw .drainingQueue("creating a TLS context")
        }
        pointer = context
        isServer = server
        guard ce2_ssl_ctx_set_min_proto_version(context, TLS1_2_VERSION) == 1,
              SSL_CTX_set_cipher_list(context, Self.intermediateCiphers) == 1,
              SSL_CTX_set_ciphersuites(context, Self.intermediateSuites) == 1,
              ce2_ssl_ctx_set_groups(context, Self.intermediateGroups) == 1
        else {
            throw .drainingQueue("applying the Mozilla intermediate TLS profile")
        }
        _ = SSL_CTX_set_options(context, ce2_ssl_op_no_renegotiation())
    }

    /// A server context with a PEM certificate chain and key; with `clientCA`, clients must
    /// present a certificate signed by it (mutual TLS).
    public static func server(certificateChain: String, privateKey: String, clientCA: String? = nil) throws(TLSError) -> TLSContext {
        let context = try TLSContext(server: true)
        guard SSL_CTX_use_certificate_chain_file(context.pointer, certificateChain) == 1 else {
            throw .drainingQueue("loading the certificate chain from \(certificateChain)")
        }
        guard SSL_CTX_use_PrivateKey_file(context.pointer, privateKey, SSL_FILETYPE_PEM) == 1 else {
            throw .drainingQueue("loading the private key from \(privateKey)")
        }
        guard SSL_CTX_check_private_key(context.pointer) == 1 else {
            throw .drainingQueue("matching the private key \(privateKey) to the certificate \(certificateChain)")
        }
        if let clientCA {
            guard SSL_CTX_load_verify_locations(context.pointer, clientCA, nil) == 1,
                  let names = SSL_load_client_CA_file(clientCA)
            else {
                throw .drainingQueue("loading the client CA from \(clientCA)")
            }
            SSL_CTX_set_client_CA_list(context.pointer, names)
            SSL_CTX_set_verify(context.pointer, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        }
        return context
    }

    /// A client context that verifies servers against `trustedCA` (a PEM file), or the
    /// system's store when nil; with a certificate and key it can answer mutual TLS.
    public static func client(trustedCA: String? = nil, certificate: String? = nil, privateKey: String? = nil) throws(TLSError) -> TLSContext {
        let context = try TLSContext(server: false)
        let loaded = trustedCA.map { SSL_CTX_load_verify_locations(context.pointer, $0, nil) } ?? SSL_CTX_set_default_verify_paths(context.pointer)
        guard loaded == 1 else { throw .drainingQueue("loading trusted certificates from \(trustedCA ?? "the system store")") }
        SSL_CTX_set_verify(context.pointer, SSL_VERIFY_PEER, nil)
        if let certificate, let privateKey {
            guard SSL_CTX_use_certificate_chain_file(context.pointer, certificate) == 1,
                  SSL_CTX_use_PrivateKey_file(context.pointer, privateKey, SSL_FILETYPE_PEM) == 1
            else {
                throw .drainingQueue("loading the client certificate \(certificate) and key \(privateKey)")
            }
        }
        return context
    }

    deinit { SSL_CTX_free(pointer) }
}
