import CE2DPDK

/// Puts an outer Ethernet header and NSH (RFC 8300, MD type 2) in front of every packet for
/// the hop to another server; each metadata tag that is set travels as a context header
/// (class 0xfff0, type slot + 1, one byte of value), as `MetadataTags.contextHeaders` says.
public final class NSHEncapModule: PacketModule {
    /// The outer header without context headers: addresses, ethertype, base and path header.
    let base: (UInt64, UInt64, UInt64)
    let ttl: UInt8
    public private(set) var tooShortHeadroom: UInt64 = 0

    public init(destination: [UInt8], source: [UInt8], servicePath: UInt32, serviceIndex: UInt8, ttl: UInt8 = 63) {
        let template = NSHEncapsulator(destination: destination, source: source, servicePath: servicePath, serviceIndex: serviceIndex, ttl: ttl).template
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &words) { $0.copyBytes(from: template) }
        base = words
        self.ttl = ttl
    }
    public var gateCount: Int { 1 }

    @inline(__always)
    public func process(_ burst: inout PacketBurst, gates: UnsafeMutablePointer<UInt16>, context: ModuleContext) -> ModuleVerdict {
        for index in 0..<burst.count {
            let packet = burst[index]
            let tags = ce2_mbuf_tags(packet, context.tags.offset).pointee
            var set = 0
            for slot in 0..<8 where tags >> UInt64(slot * 8) & 0xff != 0 { set += 1 }
            let length = 22 + 8 * set
            guard let front = ce2_mbuf_prepend(packet, UInt16(length)) else {
                tooShortHeadroom &+= 1
                continue
            }
            withUnsafeBytes(of: base) { front.update(from: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 22) }
            // Length in 4-byte words: 2 for the base and path headers, 2 per context header.
            front[15] = front[15] & 0xc0 | UInt8(2 + 2 * set)
            var at = 22
            for slot in 0..<8 {
                let value = UInt8(truncatingIfNeeded: tags >> UInt64(slot * 8))
                guard value != 0 else { continue }
                front[at] = 0xff; front[at + 1] = 0xf0; front[at + 2] = UInt8(slot + 1); front[at + 3] = 1
                front[at + 4] = value; front[at + 5] = 0; front[at + 6] = 0; front[at + 7] = 0
                at += 8
            }
        }
        return .allTo(0)
    }

    public func figures() -> [String: Double] { ["tooShortHeadroom": Double(tooShortHeadroom)] }
}

/// Strips NSH from packets that came from another server and restores their metadata tags:
/// gate 0 for decapsulated packets, gate 1 for packets that were not NSH.
public final class NSHDecapModule: PacketModule {
    public init() {}
    public var gateCount: Int { 2 }

    @inline(__always)
    public func process(_ burst: inout PacketBurst, gates: UnsafeMutablePointer<UInt16>, context: ModuleContext) -> ModuleVerdict {
        for index in 0..<burst.count {
            let packet = burst[index]
            // The context headers sit right after the 22 bytes decapsulation strips; read them
            // from the buffer before the data pointer moves past them (the bytes stay in place).
            let before = ce2_mbuf_data(packet)!
            guard let header = NSHDecapsulator.decapsulate(packet) else {
                gates[index] = 1
                continue
            }
            var tags: UInt64 = 0
            var at = 22
            let end = 22 + header.contextLength
            while at + 4 <= end {
                let length = Int(before[at + 3] & 0x7f)
                if before[at] == 0xff, before[at + 1] == 0xf0, (1...8).contains(before[at + 2]), length == 1, at + 5 <= end {
                    tags |= UInt64(before[at + 4]) << UInt64((Int(before[at + 2]) - 1) * 8)
                }
                at += 4 + (length + 3) / 4 * 4
            }
            ce2_mbuf_tags(packet, context.tags.offset).pointee = tags
            gates[index] = 0
        }
        return .perPacket
    }
}

/// Steers NSH packets by service path, leaving them as they are (the switch forwarding a
/// tunnel, or a server choosing the vport an arriving path is for): gate i for
/// `servicePaths[i]`, the last gate for anything else.
public final class NSHSteerModule: PacketModule {
    let paths: UnsafeMutableBufferPointer<UInt32>
    public init(servicePaths: [Int]) {
        paths = .allocate(capacity: servicePaths.count)
        _ = paths.initialize(from: servicePaths.map { UInt32($0) })
    }
    deinit { paths.deallocate() }
    public var gateCount: Int { paths.count + 1 }

    @inline(__always)
    public func process(_ burst: inout PacketBurst, gates: UnsafeMutablePointer<UInt16>, context: ModuleContext) -> ModuleVerdict {
        for index in 0..<burst.count {
            let packet = burst[index]
            var gate = paths.count
            if ce2_mbuf_data_len(packet) >= 22 {
                let data = ce2_mbuf_data(packet)!
                if data[12] == 0x89 && data[13] == 0x4f {
                    let path = UInt32(data[18]) << 16 | UInt32(data[19]) << 8 | UInt32(data[20])
                    for position in 0..<paths.count where paths[position] == path {
                        gate = position
                        break
                    }
                }
            }
            gates[index] = UInt16(gate)
        }
        return .perPacket
    }
}
