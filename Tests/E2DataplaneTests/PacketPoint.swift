import E2Engine

/// Reads a frame's coordinates in E2's header space, at the offsets libpcap reads.
enum PacketPoint {
    static func numbers(of frame: [UInt8], byteDimensions: Set<HeaderDimension>) -> [HeaderDimension: UInt128] {
        func read(_ offset: Int, _ size: Int) -> UInt128 {
            var value: UInt128 = 0
            for index in offset..<(offset + size) { value = value << 8 | UInt128(index < frame.count ? frame[index] : 0) }
            return value
        }
        var point: [HeaderDimension: UInt128] = [.length: UInt128(frame.count)]
        let outer = read(12, 2)
        point[.etherType] = outer
        point[.innerEtherType] = read(16, 2)
        var l3 = 14, type = outer
        if [0x8100, 0x88a8, 0x9100].contains(outer) {
            point[.vlanID] = read(14, 2) & 0xfff
            l3 = 18
            type = read(16, 2)
        }
        var l4 = l3 + 20
        switch type {
        case 0x0800:
            point[.ipProtocol] = read(l3 + 9, 1)
            point[.ipv4LaterFragment] = read(l3 + 6, 2) & 0x1fff == 0 ? 0 : 1
            point[.ipv4Source] = read(l3 + 12, 4)
            point[.ipv4Destination] = read(l3 + 16, 4)
            l4 = l3 + Int(read(l3, 1) & 0xf) * 4
        case 0x86dd:
            point[.ipProtocol] = read(l3 + 6, 1)
            point[.ipv6Source] = read(l3 + 8, 16)
            point[.ipv6Destination] = read(l3 + 24, 16)
            point[.ipv6FragmentNext] = read(l3 + 40, 1)
            l4 = l3 + 40
        case 0x0806, 0x8035:
            point[.arpSender] = read(l3 + 14, 4)
            point[.arpTarget] = read(l3 + 24, 4)
        default:
            break
        }
        point[.sourcePort] = read(l4, 2)
        point[.destinationPort] = read(l4 + 2, 2)
        for dimension in byteDimensions {
            guard case .bytes(let base, let offset, let size) = dimension else { continue }
            let start = base == "ether" ? 0 : ["ip", "ip6", "arp", "rarp"].contains(base) ? l3 : l4
            point[dimension] = read(start + offset, size)
        }
        return point
    }
}

/// Builds the frame a witness describes, so libpcap can judge it.
enum WitnessPacket {
    static let protocols: [String: UInt8] = ["icmp": 1, "tcp": 6, "udp": 17, "icmp6": 58, "sctp": 132, "ip6-fragment": 44]
    static let etherTypes: [String: UInt16] = ["ip": 0x0800, "ip6": 0x86dd, "arp": 0x0806, "rarp": 0x8035]

    static func build(_ witness: [String: String]) -> [UInt8] {
        func number(_ text: String?) -> UInt128? {
            guard let text else { return nil }
            return text.hasPrefix("0x") ? UInt128(text.dropFirst(2), radix: 16) : UInt128(text)
        }
        func ipv4(_ text: String?) -> [UInt8] { (text ?? "0.0.0.0").split(separator: ".").map { UInt8($0)! } }
        func ipv6(_ text: String?) -> [UInt8] {
            let value = IPv6Address.parse(text ?? "::") ?? 0
            return (0..<16).map { UInt8(truncatingIfNeeded: value >> UInt128(120 - 8 * $0)) }
        }
        let etherName = witness["ether proto"] ?? "ip"
        let type = etherTypes[etherName] ?? UInt16(number(etherName) ?? 0x88cc)
        var frame: [UInt8] = [0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1]
        if let vlan = number(witness["vlan"]) {
            frame += RandomPacket.be16(0x8100) + RandomPacket.be16(UInt16(vlan))
        }
        frame += RandomPacket.be16(type)
        let l3 = frame.count
        var l4 = l3
        func proto(_ key: String) -> UInt8 { witness[key].flatMap { protocols[$0] ?? UInt8($0) } ?? 0 }
        func transport(_ number: UInt8) -> [UInt8] {
            let ports = RandomPacket.be16(UInt16(witness["src port"].flatMap { UInt16($0) } ?? 40000))
                + RandomPacket.be16(UInt16(witness["dst port"].flatMap { UInt16($0) } ?? 80))
            switch number {
            case 6: return ports + [0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]
            case 17: return ports + [0, 8, 0, 0]
            case 132: return ports + [UInt8](repeating: 0, count: 8)
            default: return [8, 0, 0, 0, 0, 1, 0, 1]
            }
        }
        switch type {
        case 0x0800:
            let number = proto("proto")
            let fragment: [UInt8] = witness["ip fragment offset"] == nil ? [0, 0] : [0, 1]
            frame += [0x45, 0, 0, 0, 0, 1] + fragment + [64, number, 0, 0] + ipv4(witness["src ip"]) + ipv4(witness["dst ip"])
            l4 = frame.count
            if witness["ip fragment offset"] == nil { frame += transport(number) } else { frame += [UInt8](repeating: 0, count: 8) }
        case 0x86dd:
            let number = proto("proto")
            frame += [0x60, 0, 0, 0, 0, 40, number, 64] + ipv6(witness["src ip"]) + ipv6(witness["dst ip"])
            l4 = frame.count
            if number == 44 {
                let inner = proto("ip6 fragment proto")
                frame += [inner, 0, 0, 1, 0, 0, 0, 7] + transport(inner)
            } else {
                frame += transport(number)
            }
        case 0x0806, 0x8035:
            let sender = ipv4(witness["arp src"]), target = ipv4(witness["arp dst"])
            frame += [0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1] + sender + [0, 0, 0, 0, 0, 0] + target
        default:
            break
        }
        // Byte tests name their own bytes: `ip[1]`, `tcp[13]`, `icmp[0]`.
        for (key, value) in witness where key.contains("[") {
            let base = String(key.prefix { $0 != "[" })
            let inside = key.drop { $0 != "[" }.dropFirst().prefix { $0 != "]" }.split(separator: ":")
            let offset = Int(inside[0])!, size = inside.count > 1 ? Int(inside[1])! : 1
            let start = base == "ether" ? 0 : ["ip", "ip6", "arp", "rarp"].contains(base) ? l3 : l4
            let bytes = number(value)!
            while frame.count < start + offset + size { frame.append(0) }
            for index in 0..<size { frame[start + offset + index] = UInt8(truncatingIfNeeded: bytes >> UInt128(8 * (size - 1 - index))) }
        }
        let length = number(witness["len"]).map { Int($0) } ?? 64
        return frame + [UInt8](repeating: 0, count: max(0, max(length, 60) - frame.count))
    }
}
