import CE2DPDK
import E2Engine

/// The 5-tuple of a packet, read from its headers (IPv4 or IPv6, behind at most one VLAN tag).
///
/// Addresses are kept as 128 bits (IPv4 in the low 32) so both families share one layout.
public struct FlowKey: Hashable, Sendable {
    public var sourceAddress: UInt128 = 0
    public var destinationAddress: UInt128 = 0
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    public var transportProtocol: UInt8 = 0

    public init() {}

    /// The key of a single-segment packet; nil for packets that are not IP.
    @inline(__always)
    public init?(packet: OpaquePointer) {
        let length = Int(ce2_mbuf_data_len(packet))
        let data = ce2_mbuf_data(packet)!
        guard length >= 14 else { return nil }
        var offset = 12
        var type = UInt16(data[offset]) << 8 | UInt16(data[offset + 1])
        if type == 0x8100 || type == 0x88a8, length >= 18 {
            offset += 4
            type = UInt16(data[offset]) << 8 | UInt16(data[offset + 1])
        }
        let l3 = offset + 2
        // Whole-word big-endian loads: byte-by-byte 128-bit shifts cost a third of the rate.
        let raw = UnsafeRawPointer(data)
        func word32(_ at: Int) -> UInt32 { UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        func word64(_ at: Int) -> UInt64 { UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        func word16(_ at: Int) -> UInt16 { UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt16.self)) }
        func address128(_ at: Int) -> UInt128 { UInt128(word64(at)) << 64 | UInt128(word64(at + 8)) }
        var l4: Int
        switch type {
        case 0x0800:
            guard length >= l3 + 20 else { return nil }
            transportProtocol = data[l3 + 9]
            sourceAddress = UInt128(word32(l3 + 12))
            destinationAddress = UInt128(word32(l3 + 16))
            l4 = l3 + Int(data[l3] & 0x0f) * 4
            // Later fragments carry no ports.
            if (UInt16(data[l3 + 6]) << 8 | UInt16(data[l3 + 7])) & 0x1fff != 0 { l4 = length }
        case 0x86dd:
            guard length >= l3 + 40 else { return nil }
            transportProtocol = data[l3 + 6]
            sourceAddress = address128(l3 + 8)
            destinationAddress = address128(l3 + 24)
            l4 = l3 + 40
        default:
            return nil
        }
        let hasPorts = transportProtocol == 6 || transportProtocol == 17 || transportProtocol == 132
        if hasPorts, length >= l4 + 4 {
            sourcePort = word16(l4)
            destinationPort = word16(l4 + 2)
        }
    }

    /// The 16-bit flow ID over `fields` (CRC32C of the chosen fields, low 16 bits): the same
    /// ID space as the iGraph's flow-ID ranges.
    @inline(__always)
    public func flowID(over fields: FieldSet) -> UInt16 {
        var hash: UInt32 = 0xE2E2_E2E2
        if fields.contains(.sourceAddress) {
            hash = rte_hash_crc_8byte(UInt64(truncatingIfNeeded: sourceAddress >> 64), hash)
            hash = rte_hash_crc_8byte(UInt64(truncatingIfNeeded: sourceAddress), hash)
        }
        if fields.contains(.destinationAddress) {
            hash = rte_hash_crc_8byte(UInt64(truncatingIfNeeded: destinationAddress >> 64), hash)
            hash = rte_hash_crc_8byte(UInt64(truncatingIfNeeded: destinationAddress), hash)
        }
        if fields.contains(.sourcePort) { hash = rte_hash_crc_2byte(sourcePort, hash) }
        if fields.contains(.destinationPort) { hash = rte_hash_crc_2byte(destinationPort, hash) }
        if fields.contains(.transportProtocol) { hash = rte_hash_crc_1byte(transportProtocol, hash) }
        return UInt16(truncatingIfNeeded: hash ^ hash >> 16)
    }

    /// A set of 5-tuple fields as bits, so hashing needs no collection on the packet path.
    public struct FieldSet: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let sourceAddress = FieldSet(rawValue: 1)
        public static let destinationAddress = FieldSet(rawValue: 2)
        public static let sourcePort = FieldSet(rawValue: 4)
        public static let destinationPort = FieldSet(rawValue: 8)
        public static let transportProtocol = FieldSet(rawValue: 16)

        /// The fields of an NF's affinity, as the engine names them.
        public init(_ fields: [HeaderField]) {
            var set: FieldSet = []
            for field in fields {
                switch field {
                case .sourceAddress: set.insert(.sourceAddress)
                case .destinationAddress: set.insert(.destinationAddress)
                case .sourcePort: set.insert(.sourcePort)
                case .destinationPort: set.insert(.destinationPort)
                case .transportProtocol: set.insert(.transportProtocol)
                }
            }
            self = set
        }
    }
}
