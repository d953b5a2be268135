/// A small deterministic random generator (SplitMix64), so failures reproduce.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random filters in the syntax both libpcap and E2 accept, over values that overlap often.
enum RandomFilter {
    static let atoms = [
        "tcp", "udp", "icmp", "ip", "ip6", "arp", "sctp", "icmp6",
        "port 80", "port 53", "src port 1050", "dst port 443", "tcp dst port 80", "udp port 53",
        "portrange 1000-1100", "tcp src portrange 1000-1049", "(src or dst port 8080)", "sctp port 80",
        "host 10.0.0.1", "src host 10.0.0.2", "dst host 192.0.2.1", "net 10.0.0.0/8", "dst net 10.0.1.0/24",
        "src net 192.0.2.128/25", "ip host 10.1.2.3", "arp host 10.0.0.1", "ip6 host 2001:db8::1", "ip6 net 2001:db8::/32",
        "dst net 10.0.0.0 mask 255.255.0.0", "(src and dst net 10.0.0.0/8)", "ip6 dst host 2001:db8::2",
        "ip proto 47", "ip6 proto 44", "ip6 proto 58", "proto 17", "ether proto 0x88cc",
        "less 150", "greater 180", "len >= 120", "len < 900",
        "ip[1] & 0xfc == 0", "ip[1] == 0x10", "ip[8] > 64", "ip[8] < 65", "tcp[13] & 2 != 0", "tcp[13] & 0x12 == 0x12",
        "icmp[0] == 8", "icmp[icmptype] == icmp-echo", "tcp[tcpflags] & tcp-syn != 0", "udp[0:2] == 53", "ip[9] == 6",
        "ip[12:4] == 0x0a000001",
    ]

    static func make(_ random: inout SeededRandom, depth: Int = 3) -> String {
        if Int.random(in: 0..<10, using: &random) == 0 {
            let vlan = ["vlan", "vlan 10", "vlan 20"].randomElement(using: &random)!
            return "\(vlan) and (\(expression(&random, depth: depth - 1)))"
        }
        return expression(&random, depth: depth)
    }

    static func expression(_ random: inout SeededRandom, depth: Int) -> String {
        let choice = depth <= 0 ? 0 : Int.random(in: 0..<7, using: &random)
        switch choice {
        case 0, 1: return atoms.randomElement(using: &random)!
        case 2: return "\(["not ", "!"].randomElement(using: &random)!)(\(expression(&random, depth: depth - 1)))"
        case 3: return "(\(expression(&random, depth: depth - 1))) \(["and", "&&"].randomElement(using: &random)!) (\(expression(&random, depth: depth - 1)))"
        case 4: return "(\(expression(&random, depth: depth - 1))) \(["or", "||"].randomElement(using: &random)!) (\(expression(&random, depth: depth - 1)))"
        default:
            // A flat chain: libpcap gives and/or equal precedence, left to right.
            let count = Int.random(in: 3...4, using: &random)
            var text = atoms.randomElement(using: &random)!
            for _ in 1..<count { text += " \(["and", "or"].randomElement(using: &random)!) \(atoms.randomElement(using: &random)!)" }
            return text
        }
    }
}

/// Random Ethernet frames around the values the random filters test.
enum RandomPacket {
    static let ipv4Pool: [UInt32] = [0x0a00_0001, 0x0a00_0002, 0x0a00_0105, 0x0a01_0203, 0xc000_0201, 0xc000_02c8, 0x8372_585d]
    static let ipv6Pool: [UInt128] = [0x2001_0db8 << 96 | 1, 0x2001_0db8 << 96 | 2, (0x2001_0db8_0001 << 80) | 5, 0xfe80 << 112 | 1]
    static let ports: [UInt16] = [53, 80, 443, 1000, 1049, 1050, 1100, 1101, 8080, 40000]

    static func make(_ random: inout SeededRandom) -> [UInt8] {
        var frame: [UInt8] = [0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1]
        let roll = Int.random(in: 0..<100, using: &random)
        var type: UInt16 = roll < 50 ? 0x0800 : roll < 70 ? 0x86dd : roll < 78 ? 0x0806 : roll < 80 ? 0x8035 : roll < 95 ? 0x8100 : 0x88cc
        if type == 0x8100 {
            frame += be16(0x8100) + be16(UInt16([10, 20, 30].randomElement(using: &random)!))
            type = [0x0800, 0x86dd, 0x0806].randomElement(using: &random)!
        }
        frame += be16(type)
        switch type {
        case 0x0800: frame += ipv4(&random)
        case 0x86dd: frame += ipv6(&random)
        case 0x0806, 0x8035: frame += arp(sender: address(&random), target: address(&random))
        default: frame += [UInt8](repeating: 0xab, count: 46)
        }
        let length = max(frame.count + 8, [60, 64, 100, 128, 150, 200, 1000].randomElement(using: &random)!)
        return frame + [UInt8](repeating: 0, count: length - frame.count)
    }

    static func address(_ random: inout SeededRandom) -> UInt32 {
        Bool.random(using: &random) ? ipv4Pool.randomElement(using: &random)! : UInt32.random(in: 0...UInt32.max, using: &random)
    }

    static func ipv4(_ random: inout SeededRandom) -> [UInt8] {
        let proto: UInt8 = [6, 6, 17, 17, 1, 132, 47].randomElement(using: &random)!
        let options = Int.random(in: 0..<10, using: &random) == 0
        let fragment: UInt16 = [0, 0, 0, 0, 0x4000, 0x2000, 0x0010, 0x2005].randomElement(using: &random)!
        var header: [UInt8] = [options ? 0x46 : 0x45, [0, 1, 3, 0x10, 0xb8, 0xfc].randomElement(using: &random)!, 0, 0, 0, 1]
        header += be16(fragment) + [[1, 64, 65, 128, 255].randomElement(using: &random)!, proto, 0, 0]
        header += be32(address(&random)) + be32(address(&random))
        if options { header += [1, 1, 1, 0] }
        return header + transport(proto, &random)
    }

    static func ipv6(_ random: inout SeededRandom) -> [UInt8] {
        let next: UInt8 = [6, 17, 58, 44, 44, 0x3b].randomElement(using: &random)!
        var header: [UInt8] = [0x60, 0, 0, 0, 0, 40, next, 64]
        for _ in 0..<2 {
            let value = Bool.random(using: &random) ? ipv6Pool.randomElement(using: &random)! : UInt128.random(in: 0...UInt128.max, using: &random)
            header += (0..<16).map { UInt8(truncatingIfNeeded: value >> UInt128(120 - 8 * $0)) }
        }
        if next == 44 {
            let inner: UInt8 = [6, 17, 58].randomElement(using: &random)!
            return header + [inner, 0, 0, 1, 0, 0, 0, 7] + transport(inner, &random)
        }
        return header + transport(next, &random)
    }

    static func transport(_ proto: UInt8, _ random: inout SeededRandom) -> [UInt8] {
        let ports = be16(Self.ports.randomElement(using: &random)!) + be16(Self.ports.randomElement(using: &random)!)
        switch proto {
        case 6: return ports + [0, 0, 0, 1, 0, 0, 0, 0, 0x50, UInt8.random(in: 0...255, using: &random), 0xff, 0xff, 0, 0, 0, 0]
        case 17: return ports + [0, 8, 0, 0]
        case 132: return ports + [0, 0, 0, 0, 0, 0, 0, 0]
        case 1, 58: return [[0, 3, 8, 11].randomElement(using: &random)!, 0, 0, 0, 0, 1, 0, 1]
        default: return [0, 0, 8, 0]
        }
    }

    static func arp(sender: UInt32, target: UInt32) -> [UInt8] {
        [0, 1, 8, 0, 6, 4, 0, 1] + [2, 0, 0, 0, 0, 1] + be32(sender) + [0, 0, 0, 0, 0, 0] + be32(target)
    }

    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
    static func be32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> UInt32(24 - 8 * $0)) } }
}
