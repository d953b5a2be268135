import CE2DPDK

/// Reads and writes whole packets as bytes: for tests, tools and the control path.
///
/// Copying allocates, so the per-packet path never uses these; modules work on the mbuf.
public enum PacketBytes {
    /// The bytes of a single-segment packet.
    public static func copy(of packet: OpaquePointer) -> [UInt8] {
        let length = Int(ce2_mbuf_data_len(packet))
        return Array(UnsafeBufferPointer(start: ce2_mbuf_data(packet), count: length))
    }

    /// Appends `bytes` to an empty packet; false when they do not fit in one buffer.
    public static func fill(_ packet: OpaquePointer, with bytes: [UInt8]) -> Bool {
        guard bytes.count <= Int(UInt16.max), let tail = ce2_mbuf_append(packet, UInt16(bytes.count)) else { return false }
        bytes.withUnsafeBufferPointer { tail.update(from: $0.baseAddress!, count: bytes.count) }
        return true
    }

    /// The byte at `offset` of the packet's first segment, or nil past its end; allocates nothing.
    @inline(__always)
    public static func byte(_ packet: OpaquePointer, at offset: Int) -> UInt8? {
        guard offset >= 0, offset < Int(ce2_mbuf_data_len(packet)) else { return nil }
        return ce2_mbuf_data(packet)[offset]
    }

    /// Sets the byte at `offset` of the packet's first segment; false past its end.
    @discardableResult @inline(__always)
    public static func setByte(_ packet: OpaquePointer, at offset: Int, to value: UInt8) -> Bool {
        guard offset >= 0, offset < Int(ce2_mbuf_data_len(packet)) else { return false }
        ce2_mbuf_data(packet)[offset] = value
        return true
    }

    /// Writes an Ethernet/IPv4/UDP frame of `length` bytes (64-1514; 10.0.0.1 to 192.0.2.7)
    /// into an empty packet without allocating, for generators and allocation-budget tests;
    /// returns its length (0 when it does not fit).
    @inline(__always)
    public static func fillUDP(_ packet: OpaquePointer, sourcePort: UInt16, destinationPort: UInt16, length: Int = 64) -> Int {
        guard (64...1514).contains(length), let frame = ce2_mbuf_append(packet, UInt16(length)) else { return 0 }
        writeUDP(frame, length: length, sourcePort: sourcePort, destinationPort: destinationPort)
        return length
    }

    /// The same frame written into any buffer of at least `length` bytes (a socket's batch).
    @inline(__always)
    public static func writeUDP(_ frame: UnsafeMutablePointer<UInt8>, length: Int, sourcePort: UInt16, destinationPort: UInt16) {
        frame.initialize(repeating: 0, count: 64)
        frame[0] = 0x02; frame[5] = 0x02; frame[6] = 0x02; frame[11] = 0x01
        frame[12] = 0x08; frame[13] = 0x00
        frame[14] = 0x45; frame[16] = UInt8((length - 14) >> 8); frame[17] = UInt8((length - 14) & 0xff); frame[22] = 64; frame[23] = 17
        frame[26] = 10; frame[29] = 1; frame[30] = 192; frame[32] = 2; frame[33] = 7
        frame[34] = UInt8(sourcePort >> 8); frame[35] = UInt8(sourcePort & 0xff)
        frame[36] = UInt8(destinationPort >> 8); frame[37] = UInt8(destinationPort & 0xff)
        frame[38] = UInt8((length - 34) >> 8); frame[39] = UInt8((length - 34) & 0xff)
    }
}

extension PacketBytes {
    /// The packet's length over all its segments.
    @inline(__always)
    public static func length(_ packet: OpaquePointer) -> Int { Int(ce2_mbuf_pkt_len(packet)) }
}
