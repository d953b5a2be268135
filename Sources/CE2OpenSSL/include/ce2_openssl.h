// CE2OpenSSL: the thin C shim between E2API and OpenSSL 3 (libssl, libcrypto).
//
// OpenSSL spells many settings as macros over SSL_CTX_ctrl; Swift cannot call those, so each
// one used by E2 gets a one-line static inline function here. Everything else is called from
// Swift directly.
#ifndef CE2_OPENSSL_H
#define CE2_OPENSSL_H

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/// SSL_CTX_set_min_proto_version (a macro over SSL_CTX_ctrl).
static inline int ce2_ssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

/// SSL_CTX_set_max_proto_version (a macro over SSL_CTX_ctrl).
static inline int ce2_ssl_ctx_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}

/// SSL_CTX_set1_groups_list (a macro over SSL_CTX_ctrl): the key-exchange groups offered.
static inline int ce2_ssl_ctx_set_groups(SSL_CTX *ctx, const char *groups) {
    return (int)SSL_CTX_set1_groups_list(ctx, groups);
}

/// SSL_set_tlsext_host_name (a macro over SSL_ctrl): the SNI name a client sends.
static inline int ce2_ssl_set_server_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

/// SSL_CTX_set_session_cache_mode (a macro over SSL_CTX_ctrl).
static inline long ce2_ssl_ctx_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}

/// SSL_OP_NO_RENEGOTIATION, a composed macro Swift does not import.
static inline uint64_t ce2_ssl_op_no_renegotiation(void) { return SSL_OP_NO_RENEGOTIATION; }

/// XN_FLAG_RFC2253, a composed macro Swift does not import: names printed as `CN=a,O=b`.
static inline unsigned long ce2_xn_flag_rfc2253(void) { return XN_FLAG_RFC2253; }

#endif
