/// A policy as written: declarations and pipelets, every part with its source location.
public struct PolicyDocument: Sendable, Equatable {
    public var declarations: [Declaration]
    public var pipelets: [Pipelet]

    public init(declarations: [Declaration] = [], pipelets: [Pipelet] = []) {
        self.declarations = declarations
        self.pipelets = pipelets
    }
}

/// A name introduced by a policy.
public struct Declaration: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `Type name;`: an NF instance (or a `Tee`).
        case instance(type: String)
        /// `Port<first-last> name;`: a group of switch ports.
        case portGroup(first: Int, last: Int)
        /// `Address name prefix;`
        case address(AddressPrefix)
    }

    public var name: String
    public var kind: Kind
    public var location: SourceLocation
    /// Where the type, port range or prefix is written, for diagnostics about it.
    public var detailLocation: SourceLocation
}

/// An IPv4 or IPv6 prefix (`10.12.30.0/24`, `2001:db8::/32`).
public struct AddressPrefix: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Family: String, Hashable, Sendable, Codable { case ipv4, ipv6 }

    public var family: Family
    /// The address, right-aligned in 128 bits for IPv4.
    public var address: UInt128
    public var length: Int

    public init(family: Family, address: UInt128, length: Int) {
        self.family = family
        self.address = address
        self.length = length
    }

    public var width: Int { family == .ipv4 ? 32 : 128 }

    /// The lowest and highest address of the prefix.
    public var range: (lower: UInt128, upper: UInt128) {
        let hostBits = UInt128(width - length)
        let hostMask: UInt128 = hostBits >= 128 ? .max : (1 << hostBits) - 1
        return (address & ~hostMask, address | hostMask)
    }

    public var description: String {
        let text = family == .ipv4 ? IPv4Address.format(UInt32(truncatingIfNeeded: address)) : IPv6Address.format(address)
        return "\(text)/\(length)"
    }
}

/// `pipelet { ... }`: the edges of one traffic class.
public struct Pipelet: Sendable, Equatable {
    public var edges: [PolicyEdge]
    public var location: SourceLocation
}

/// `src [filter_out] -> (bw) [filter_in] dst;`
public struct PolicyEdge: Sendable, Equatable {
    public var source: NameReference
    public var filterOut: FilterExpression?
    /// The filter as written, for display.
    public var filterText: String?
    /// The expected rate, in bits per second.
    public var bandwidth: Double?
    public var filterIn: NameReference?
    public var destination: NameReference
    public var location: SourceLocation
}

/// A name used somewhere, with where.
public struct NameReference: Sendable, Equatable, Hashable {
    public var name: String
    public var location: SourceLocation
}
