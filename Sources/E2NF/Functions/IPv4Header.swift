import CE2DPDK

/// Offsets and checksum arithmetic for untagged Ethernet/IPv4 packets, shared by the NFs.
enum IPv4Header {
    /// The IPv4 header's offset in the frame (after Ethernet), or nil when it is not IPv4.
    @inline(__always)
    static func offset(_ data: UnsafeMutablePointer<UInt8>, length: Int) -> Int? {
        guard length >= 34, data[12] == 0x08, data[13] == 0x00, data[14] >> 4 == 4 else { return nil }
        return 14
    }

    @inline(__always)
    static func load16(_ data: UnsafeMutablePointer<UInt8>, _ at: Int) -> UInt16 { UInt16(data[at]) << 8 | UInt16(data[at + 1]) }

    @inline(__always)
    static func store16(_ data: UnsafeMutablePointer<UInt8>, _ at: Int, _ value: UInt16) {
        data[at] = UInt8(value >> 8)
        data[at + 1] = UInt8(value & 0xff)
    }

    @inline(__always)
    static func load32(_ data: UnsafeMutablePointer<UInt8>, _ at: Int) -> UInt32 { UInt32(load16(data, at)) << 16 | UInt32(load16(data, at + 2)) }

    @inline(__always)
    static func store32(_ data: UnsafeMutablePointer<UInt8>, _ at: Int, _ value: UInt32) {
        store16(data, at, UInt16(value >> 16))
        store16(data, at + 2, UInt16(value & 0xffff))
    }

    /// RFC 1624's incremental update of a checksum at `at` when a 16-bit word goes from `old` to `new`.
    @inline(__always)
    static func adjust(_ data: UnsafeMutablePointer<UInt8>, checksumAt at: Int, old: UInt16, new: UInt16) {
        var sum = UInt32(~load16(data, at)) + UInt32(~old) + UInt32(new)
        sum = (sum & 0xffff) + (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16)
        store16(data, at, ~UInt16(sum))
    }

    /// The full checksum of an IPv4 header of `length` bytes at `at` (its checksum field counted as 0).
    static func headerChecksum(_ data: UnsafeMutablePointer<UInt8>, at: Int, length: Int) -> UInt16 {
        var sum: UInt32 = 0
        var offset = 0
        while offset < length {
            if offset != 10 { sum += UInt32(load16(data, at + offset)) }
            offset += 2
        }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// Where the transport checksum is (TCP 16, UDP 6 bytes into its header), nil for others
    /// or a UDP checksum of 0 (none).
    @inline(__always)
    static func transportChecksum(_ data: UnsafeMutablePointer<UInt8>, ip: Int, length: Int) -> Int? {
        let l4 = ip + Int(data[ip] & 0x0f) * 4
        switch data[ip + 9] {
        case 6 where length >= l4 + 18: return l4 + 16
        case 17 where length >= l4 + 8: return load16(data, l4 + 6) == 0 ? nil : l4 + 6
        default: return nil
        }
    }
}
