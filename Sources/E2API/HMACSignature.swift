import Foundation

import CE2OpenSSL

/// HMAC-SHA256 through OpenSSL, for signing webhook deliveries.
public enum HMACSignature {
    /// The lower-case hex HMAC-SHA256 of `data` under `key`.
    public static func sha256(key: [UInt8], data: [UInt8]) -> String {
        var out = [UInt8](repeating: 0, count: 32)
        var length = 0
        _ = key.withUnsafeBytes { keyBytes in
            data.withUnsafeBufferPointer { dataBytes in
                EVP_Q_mac(nil, "HMAC", nil, "SHA256", nil, keyBytes.baseAddress, key.count, dataBytes.baseAddress, data.count, &out, out.count, &length)
            }
        }
        return out.prefix(length).map { String(format: "%02x", $0) }.joined()
    }

    /// `count` random bytes from OpenSSL's generator, as hex.
    public static func randomHex(_ count: Int) -> String {
        var bytes = [UInt8](repeating: 0, count: count)
        _ = RAND_bytes(&bytes, Int32(count))
        return bytes.map { String(format: "%02x", $0) }.joined()
    }
}
