import CE2DPDK
import E2Dataplane

/// A source NAT with per-flow state (§6's NAT): packets from the inside prefix leave with the
/// public address and a port of its own per flow; packets to the public address come back to
/// the inside address and port of their flow; packets of no known flow to the public address
/// are dropped. IPv4 header and TCP/UDP checksums are updated incrementally (RFC 1624).
public struct NAT: PacketFunction {
    let inside: (address: UInt32, mask: UInt32)
    let publicAddress: UInt32
    /// Outbound 5-tuple to the public port (word 0).
    let outbound: FlowTable
    /// (remote address, remote port, public port, proto) to the inside address and port.
    let inbound: FlowTable
    var nextPort: UInt16 = 1024
    public private(set) var translated: UInt64 = 0
    public private(set) var unknownInbound: UInt64 = 0

    public init(inside: UInt32, prefixLength: Int, publicAddress: UInt32, capacity: Int = 65_536) {
        let mask: UInt32 = prefixLength == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefixLength)
        self.inside = (inside & mask, mask)
        self.publicAddress = publicAddress
        outbound = FlowTable(capacity: capacity)
        inbound = FlowTable(capacity: capacity)
    }

    public mutating func handle(_ packet: OpaquePointer, tags: MetadataTags, now: UInt64) -> Int? {
        let length = Int(ce2_mbuf_data_len(packet))
        let data = ce2_mbuf_data(packet)!
        guard let ip = IPv4Header.offset(data, length: length) else { return 0 }
        let proto = data[ip + 9]
        let l4 = ip + Int(data[ip] & 0x0f) * 4
        guard proto == 6 || proto == 17, length >= l4 + 4 else { return 0 }
        let source = IPv4Header.load32(data, ip + 12), destination = IPv4Header.load32(data, ip + 16)
        let sourcePort = IPv4Header.load16(data, l4), destinationPort = IPv4Header.load16(data, l4 + 2)
        let checksum = IPv4Header.transportChecksum(data, ip: ip, length: length)

        if source & inside.mask == inside.address {
            var key = FlowKey()
            key.sourceAddress = UInt128(source); key.destinationAddress = UInt128(destination)
            key.sourcePort = sourcePort; key.destinationPort = destinationPort; key.transportProtocol = proto
            var port: UInt16
            if let known = outbound[key] {
                port = UInt16(truncatingIfNeeded: known.words.0)
            } else {
                port = nextPort
                nextPort = nextPort == 65535 ? 1024 : nextPort + 1
                var back = FlowKey()
                back.sourceAddress = UInt128(destination); back.sourcePort = destinationPort
                back.destinationPort = port; back.transportProtocol = proto
                guard outbound.set(key, .init(UInt64(port))), inbound.set(back, .init(UInt64(source), UInt64(sourcePort))) else { return nil }
            }
            rewrite(data, ip: ip, addressAt: ip + 12, portAt: l4, address: publicAddress, port: port, checksum: checksum)
            translated &+= 1
            return 0
        }
        if destination == publicAddress {
            var back = FlowKey()
            back.sourceAddress = UInt128(source); back.sourcePort = sourcePort
            back.destinationPort = destinationPort; back.transportProtocol = proto
            guard let original = inbound[back] else {
                unknownInbound &+= 1
                return nil
            }
            rewrite(data, ip: ip, addressAt: ip + 16, portAt: l4 + 2, address: UInt32(truncatingIfNeeded: original.words.0),
                    port: UInt16(truncatingIfNeeded: original.words.1), checksum: checksum)
            translated &+= 1
            return 0
        }
        return 0
    }

    /// Writes an address and port, adjusting the IPv4 and transport checksums.
    @inline(__always)
    func rewrite(_ data: UnsafeMutablePointer<UInt8>, ip: Int, addressAt: Int, portAt: Int, address: UInt32, port: UInt16, checksum: Int?) {
        let oldHigh = IPv4Header.load16(data, addressAt), oldLow = IPv4Header.load16(data, addressAt + 2)
        let oldPort = IPv4Header.load16(data, portAt)
        IPv4Header.store32(data, addressAt, address)
        IPv4Header.store16(data, portAt, port)
        let newHigh = UInt16(address >> 16), newLow = UInt16(address & 0xffff)
        IPv4Header.adjust(data, checksumAt: ip + 10, old: oldHigh, new: newHigh)
        IPv4Header.adjust(data, checksumAt: ip + 10, old: oldLow, new: newLow)
        if let checksum {
            // The transport checksum covers the pseudo-header's addresses and the port.
            IPv4Header.adjust(data, checksumAt: checksum, old: oldHigh, new: newHigh)
            IPv4Header.adjust(data, checksumAt: checksum, old: oldLow, new: newLow)
            IPv4Header.adjust(data, checksumAt: checksum, old: oldPort, new: port)
        }
    }

    public func figures() -> [String: Double] {
        ["flows": Double(outbound.count), "translated": Double(translated), "unknownInbound": Double(unknownInbound)]
    }
}
