/// A filter as written: libpcap filter syntax plus E2's attributes, address names and ingress.
public indirect enum FilterExpression: Sendable, Equatable {
    case and(FilterExpression, FilterExpression)
    case or(FilterExpression, FilterExpression)
    case not(FilterExpression, SourceLocation)
    case primitive(FilterPrimitive, SourceLocation)
}

/// Which address or port of a packet a primitive looks at.
public enum FilterDirection: String, Sendable, Equatable {
    case source = "src"
    case destination = "dst"
    case either = "src or dst"
    case both = "src and dst"
}

/// An address operand: a literal prefix or an `Address` name from the policy.
public enum AddressOperand: Sendable, Equatable {
    case prefix(AddressPrefix)
    case name(String)
}

/// Where a byte test reads: a protocol header (`ip`, `tcp`, ...) or the packet length.
public enum ByteOperand: Sendable, Equatable {
    case bytes(base: String, offset: Int, size: Int)
    case length
}

/// The smallest parts of a filter.
public enum FilterPrimitive: Sendable, Equatable {
    /// The protocol of E2's `dst ip NAME`: IPv4 or IPv6, whichever the address is.
    public static let anyIPFamily = "ip-address"

    /// `[ip|ip6|arp|rarp] [src|dst] host A`, `net P`, or an address name used alone.
    case address(FilterDirection, protocol: String?, AddressOperand)
    /// `[tcp|udp|sctp] [src|dst] port N` and `portrange A-B`.
    case port(FilterDirection, protocol: String?, lower: Int, upper: Int)
    /// `ip`, `ip6`, `arp`, `rarp`, `tcp`, `udp`, `icmp`, `icmp6`, `sctp`.
    case proto(String)
    /// `ip proto N`, `ip6 proto N`, `proto N`.
    case ipProtocol(family: String?, Int)
    /// `ether proto N`.
    case etherProtocol(Int)
    /// `vlan [ID]`.
    case vlan(Int?)
    /// `base[offset:size] & mask OP value`, `len OP value`, `less N`, `greater N`.
    case comparison(ByteOperand, mask: UInt128?, relation: String, value: UInt128)
    /// `Type.attr` alone (the attribute is true) or compared with a value.
    case attribute(type: String, name: String, relation: String, value: String)
    /// `ingress GROUP`: the packet entered through this port group.
    case ingress(String)
    /// `true` and `false`, which pcap does not have but generated policies use.
    case constant(Bool)
}
