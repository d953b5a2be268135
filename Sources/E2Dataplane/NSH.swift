import CE2DPDK

/// Network Service Header (RFC 8300) over Ethernet (ethertype 0x894F), MD type 2, carrying an
/// Ethernet frame: how E2D sends traffic between servers with its service path and metadata.
///
/// The outer Ethernet header and NSH are built once, when the encapsulator is made, so
/// encapsulating a packet is a prepend and one copy; nothing is allocated per packet.
public struct NSHEncapsulator {
    /// An MD type 2 context header: a metadata class, a type and up to 127 bytes of value.
    public struct ContextHeader: Sendable, Equatable {
        public var metadataClass: UInt16
        public var type: UInt8
        public var value: [UInt8]

        public init(metadataClass: UInt16, type: UInt8, value: [UInt8]) {
            self.metadataClass = metadataClass
            self.type = type
            self.value = value
        }
    }

    public static let etherType: UInt16 = 0x894F
    /// NSH Next Protocol for an Ethernet frame.
    static let nextProtocolEthernet: UInt8 = 3

    /// The outer Ethernet header and NSH, as written in front of every packet.
    public let template: [UInt8]

    public init(destination: [UInt8], source: [UInt8], servicePath: UInt32, serviceIndex: UInt8, ttl: UInt8 = 63,
                context: [ContextHeader] = []) {
        precondition(destination.count == 6 && source.count == 6 && servicePath < 1 << 24 && ttl < 64)
        var tlvs: [UInt8] = []
        for header in context {
            precondition(header.value.count < 128)
            tlvs += [UInt8(header.metadataClass >> 8), UInt8(header.metadataClass & 0xff), header.type, UInt8(header.value.count)]
            tlvs += header.value + [UInt8](repeating: 0, count: (4 - header.value.count % 4) % 4)
        }
        let words = 2 + tlvs.count / 4
        precondition(words < 64, "NSH is at most 63 words")
        // Ver 0, O 0, U 0, TTL, Length (words), MD type 2, Next Protocol.
        let first = UInt32(ttl) << 22 | UInt32(words) << 16 | 2 << 8 | UInt32(Self.nextProtocolEthernet)
        let path = servicePath << 8 | UInt32(serviceIndex)
        template = destination + source + [UInt8(Self.etherType >> 8), UInt8(Self.etherType & 0xff)]
            + Self.bigEndian(first) + Self.bigEndian(path) + tlvs
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> UInt32(24 - 8 * $0)) } }

    /// Puts the header in front of `packet`; false (packet unchanged) when its headroom is short.
    @inline(__always)
    public func encapsulate(_ packet: OpaquePointer) -> Bool {
        guard let front = ce2_mbuf_prepend(packet, UInt16(template.count)) else { return false }
        template.withUnsafeBufferPointer { front.update(from: $0.baseAddress!, count: $0.count) }
        return true
    }
}

/// Reads and strips NSH from packets that arrive from another server.
public enum NSHDecapsulator {
    /// What a packet's NSH said.
    public struct Header: Sendable, Equatable {
        public var servicePath: UInt32
        public var serviceIndex: UInt8
        public var ttl: UInt8
        /// Bytes of MD type 2 context headers (they start 22 bytes into what was stripped).
        public var contextLength: Int

        public init(servicePath: UInt32, serviceIndex: UInt8, ttl: UInt8, contextLength: Int) {
            self.servicePath = servicePath
            self.serviceIndex = serviceIndex
            self.ttl = ttl
            self.contextLength = contextLength
        }
    }

    /// Strips the outer Ethernet header and NSH, returning what NSH said; nil (packet
    /// unchanged) when it is not NSH over Ethernet with MD type 2 carrying Ethernet.
    @inline(__always)
    public static func decapsulate(_ packet: OpaquePointer) -> Header? {
        let length = Int(ce2_mbuf_data_len(packet))
        guard length >= 22 else { return nil }
        let data = ce2_mbuf_data(packet)!
        guard UInt16(data[12]) << 8 | UInt16(data[13]) == NSHEncapsulator.etherType else { return nil }
        let first = UInt32(data[14]) << 24 | UInt32(data[15]) << 16 | UInt32(data[16]) << 8 | UInt32(data[17])
        guard first >> 30 == 0, first >> 8 & 0xf == 2, first & 0xff == UInt32(NSHEncapsulator.nextProtocolEthernet) else { return nil }
        let words = Int(first >> 16 & 0x3f)
        let headerBytes = 14 + words * 4
        guard words >= 2, length >= headerBytes else { return nil }
        let path = UInt32(data[18]) << 24 | UInt32(data[19]) << 16 | UInt32(data[20]) << 8 | UInt32(data[21])
        let header = Header(servicePath: path >> 8, serviceIndex: UInt8(path & 0xff), ttl: UInt8(first >> 22 & 0x3f),
                            contextLength: (words - 2) * 4)
        guard ce2_mbuf_adj(packet, UInt16(headerBytes)) != nil else { return nil }
        return header
    }
}
