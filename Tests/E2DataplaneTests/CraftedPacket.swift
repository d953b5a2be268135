/// Ethernet/IPv4/UDP frames with a valid IPv4 checksum, built byte by byte for tests.
enum CraftedPacket {
    /// A frame of `length` bytes (at least 42) whose payload bytes depend on `seed`.
    static func udp(length: Int, seed: UInt8, sourcePort: UInt16 = 1024, destinationPort: UInt16 = 80) -> [UInt8] {
        precondition(length >= 42)
        var frame: [UInt8] = [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00]
        let ipLength = UInt16(length - 14)
        var ip: [UInt8] = [0x45, 0, UInt8(ipLength >> 8), UInt8(ipLength & 0xff), 0, seed, 0x40, 0, 64, 17, 0, 0,
                           10, 0, 0, 1, 192, 0, 2, seed]
        let checksum = internetChecksum(ip)
        ip[10] = UInt8(checksum >> 8)
        ip[11] = UInt8(checksum & 0xff)
        frame += ip
        let udpLength = UInt16(length - 34)
        frame += [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xff),
                  UInt8(udpLength >> 8), UInt8(udpLength & 0xff), 0, 0]
        frame += (0..<(length - 42)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) }
        return frame
    }

    static func internetChecksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        for index in stride(from: 0, to: bytes.count, by: 2) {
            sum += UInt32(bytes[index]) << 8 | UInt32(index + 1 < bytes.count ? bytes[index + 1] : 0)
        }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }
}
