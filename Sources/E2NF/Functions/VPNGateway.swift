import CE2DPDK
import CE2OpenSSL
import E2Dataplane

/// A VPN gateway: every IPv4 packet leaves inside an ESP tunnel (RFC 4303, tunnel mode) with
/// AES-GCM (RFC 4106): a new outer IPv4 header from the tunnel's source to its destination,
/// the ESP header (SPI, sequence number), an 8-byte IV, the encrypted inner packet with its
/// padding and trailer, and the 16-byte ICV. The ESP header is the additional authenticated
/// data; the nonce is the 4-byte salt followed by the IV. The cipher context is made once;
/// encrypting a packet allocates nothing.
public struct VPNGateway: PacketFunction {
    final class Cipher {
        let context: OpaquePointer
        init(key: [UInt8]) throws(VPNError) {
            guard key.count == 16 || key.count == 32, let context = EVP_CIPHER_CTX_new() else { throw VPNError("AES-GCM needs a 16- or 32-byte key") }
            let cipher = key.count == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm()
            guard EVP_EncryptInit_ex(context, cipher, nil, key, nil) == 1,
                  EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, 12, nil) == 1 else {
                EVP_CIPHER_CTX_free(context)
                throw VPNError("EVP_EncryptInit_ex failed")
            }
            self.context = context
        }
        deinit { EVP_CIPHER_CTX_free(context) }
    }

    let cipher: Cipher
    let salt: (UInt8, UInt8, UInt8, UInt8)
    let spi: UInt32
    let tunnelSource: UInt32
    let tunnelDestination: UInt32
    var sequence: UInt64 = 0
    public private(set) var encrypted: UInt64 = 0
    public private(set) var refused: UInt64 = 0

    /// `key` is the AES key, `salt` the 4 bytes RFC 4106 adds to the keying material.
    public init(key: [UInt8], salt: [UInt8], spi: UInt32, tunnelSource: UInt32, tunnelDestination: UInt32) throws(VPNError) {
        guard salt.count == 4 else { throw VPNError("the salt is 4 bytes") }
        cipher = try Cipher(key: key)
        self.salt = (salt[0], salt[1], salt[2], salt[3])
        self.spi = spi
        self.tunnelSource = tunnelSource
        self.tunnelDestination = tunnelDestination
    }

    static let outer = 20 + 8 + 8  // outer IPv4, ESP header, IV
    static let icv = 16

    public mutating func handle(_ packet: OpaquePointer, tags: MetadataTags, now: UInt64) -> Int? {
        let length = Int(ce2_mbuf_data_len(packet))
        guard length == Int(ce2_mbuf_pkt_len(packet)), let original = ce2_mbuf_data(packet),
              IPv4Header.offset(original, length: length) != nil else {
            refused &+= 1
            return nil
        }
        let inner = length - 14
        let padding = (4 - (inner + 2) % 4) % 4
        let protectedLength = inner + padding + 2
        guard let tail = ce2_mbuf_append(packet, UInt16(padding + 2 + Self.icv)) else {
            refused &+= 1
            return nil
        }
        for index in 0..<padding { tail[index] = UInt8(index + 1) }
        tail[padding] = UInt8(padding)
        tail[padding + 1] = 4  // next header: IPv4
        guard let data = ce2_mbuf_prepend(packet, UInt16(Self.outer)) else {
            _ = ce2_mbuf_trim(packet, UInt16(padding + 2 + Self.icv))
            refused &+= 1
            return nil
        }
        // The Ethernet header moves to the new front; the inner IP packet stays where it was.
        (data).update(from: data + Self.outer, count: 14)
        sequence &+= 1
        let ip = 14
        data[ip] = 0x45; data[ip + 1] = 0
        IPv4Header.store16(data, ip + 2, UInt16(20 + 8 + 8 + protectedLength + Self.icv))
        IPv4Header.store16(data, ip + 4, UInt16(truncatingIfNeeded: sequence))
        IPv4Header.store16(data, ip + 6, 0x4000)
        data[ip + 8] = 64; data[ip + 9] = 50
        IPv4Header.store16(data, ip + 10, 0)
        IPv4Header.store32(data, ip + 12, tunnelSource)
        IPv4Header.store32(data, ip + 16, tunnelDestination)
        IPv4Header.store16(data, ip + 10, IPv4Header.headerChecksum(data, at: ip, length: 20))
        let esp = ip + 20
        IPv4Header.store32(data, esp, spi)
        IPv4Header.store32(data, esp + 4, UInt32(truncatingIfNeeded: sequence))
        let iv = esp + 8
        for index in 0..<8 { data[iv + index] = UInt8(truncatingIfNeeded: sequence >> UInt64(56 - 8 * index)) }
        var nonce = (salt.0, salt.1, salt.2, salt.3, data[iv], data[iv + 1], data[iv + 2], data[iv + 3], data[iv + 4], data[iv + 5], data[iv + 6], data[iv + 7])
        let payload = iv + 8
        var written: Int32 = 0
        let ok = withUnsafeBytes(of: &nonce) { nonceBytes -> Bool in
            let context = cipher.context
            guard EVP_EncryptInit_ex(context, nil, nil, nil, nonceBytes.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 1,
                  EVP_EncryptUpdate(context, nil, &written, data + esp, 8) == 1,
                  EVP_EncryptUpdate(context, data + payload, &written, data + payload, Int32(protectedLength)) == 1,
                  EVP_EncryptFinal_ex(context, data + payload + Int(written), &written) == 1,
                  EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(Self.icv), data + payload + protectedLength) == 1
            else { return false }
            return true
        }
        guard ok else {
            refused &+= 1
            return nil
        }
        encrypted &+= 1
        return 0
    }

    public func figures() -> [String: Double] { ["encrypted": Double(encrypted), "refused": Double(refused)] }
}

public struct VPNError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
