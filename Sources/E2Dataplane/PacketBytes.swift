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
}
