/// One coordinate of header space: a packet field, a derived attribute or the ingress class.
///
/// Fields follow what libpcap reads. A field that only means something for some packets
/// (the IPv4 source for an IPv4 packet) is still a coordinate of every packet; filters always
/// test it together with its guard (`ether type == 0x0800`), as libpcap's code does, so its
/// value on other packets never changes a verdict and emptiness stays exact.
public enum HeaderDimension: Hashable, Sendable, Comparable {
    /// The Ethernet type at offset 12 (`0x8100` and friends for VLAN-tagged frames).
    case etherType
    /// The Ethernet type after one VLAN tag (offset 16).
    case innerEtherType
    /// The VLAN ID of a tagged frame (12 bits).
    case vlanID
    /// IPv4 protocol or IPv6 next header.
    case ipProtocol
    /// The next header after an IPv6 fragment header (libpcap's `ip6 proto` follows one).
    case ipv6FragmentNext
    /// 1 when an IPv4 packet is a fragment other than the first (`ip[6:2] & 0x1fff != 0`).
    case ipv4LaterFragment
    case ipv4Source, ipv4Destination
    case ipv6Source, ipv6Destination
    /// ARP and RARP sender and target protocol addresses (pcap's `host` matches them).
    case arpSender, arpTarget
    case sourcePort, destinationPort
    /// The packet's length on the wire (`less`, `greater`, `len`).
    case length
    /// A byte test on a header that no named field covers: `ip[1]`, `tcp[13]`, `ether[0:4]`.
    case bytes(base: String, offset: Int, size: Int)
    /// A derived attribute such as `FW.safe`: its value, as a name.
    case attribute(String)
    /// The port group the packet entered the cluster through.
    case ingress

    /// The largest value of a numeric dimension; nil for name-valued ones.
    public var maximum: UInt128? {
        switch self {
        case .etherType, .innerEtherType, .sourcePort, .destinationPort: 0xffff
        case .vlanID: 0xfff
        case .ipProtocol, .ipv6FragmentNext: 0xff
        case .ipv4LaterFragment: 1
        case .ipv4Source, .ipv4Destination, .arpSender, .arpTarget, .length: 0xffff_ffff
        case .ipv6Source, .ipv6Destination: .max
        case .bytes(_, _, let size): size >= 16 ? .max : (1 << UInt128(size * 8)) - 1
        case .attribute, .ingress: nil
        }
    }

    /// The name a user reads in a witness, as the filter syntax spells the field.
    public var witnessName: String {
        switch self {
        case .etherType: "ether proto"
        case .innerEtherType: "vlan ether proto"
        case .vlanID: "vlan"
        case .ipProtocol: "proto"
        case .ipv6FragmentNext: "ip6 fragment proto"
        case .ipv4LaterFragment: "ip fragment offset"
        case .ipv4Source, .ipv6Source: "src ip"
        case .ipv4Destination, .ipv6Destination: "dst ip"
        case .arpSender: "arp src"
        case .arpTarget: "arp dst"
        case .sourcePort: "src port"
        case .destinationPort: "dst port"
        case .length: "len"
        case .bytes(let base, let offset, let size): size == 1 ? "\(base)[\(offset)]" : "\(base)[\(offset):\(size)]"
        case .attribute(let name): name
        case .ingress: "ingress"
        }
    }

    private var rank: Int {
        switch self {
        case .ingress: 0
        case .attribute: 1
        case .etherType: 2
        case .innerEtherType: 3
        case .vlanID: 4
        case .ipProtocol: 5
        case .ipv6FragmentNext: 6
        case .ipv4LaterFragment: 7
        case .ipv4Source: 8
        case .ipv4Destination: 9
        case .ipv6Source: 10
        case .ipv6Destination: 11
        case .arpSender: 12
        case .arpTarget: 13
        case .sourcePort: 14
        case .destinationPort: 15
        case .length: 16
        case .bytes: 17
        }
    }

    public static func < (lhs: HeaderDimension, rhs: HeaderDimension) -> Bool {
        if lhs.rank != rhs.rank { return lhs.rank < rhs.rank }
        switch (lhs, rhs) {
        case let (.attribute(a), .attribute(b)): return a < b
        case let (.bytes(b1, o1, s1), .bytes(b2, o2, s2)): return (b1, o1, s1) < (b2, o2, s2)
        default: return false
        }
    }
}
