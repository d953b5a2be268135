import E2Engine
import Foundation

/// A request on E2D's control socket: one JSON object per line (docs/dataplane.md lists them).
public struct ControlRequest: Codable, Sendable, Equatable {
    public enum Operation: String, Codable, Sendable, CaseIterable {
        case stats
        /// The running configuration (ports, vports, modules, links).
        case graph
        case addVport = "vport.add"
        case removeVport = "vport.remove"
        case addModule = "module.add"
        case removeModule = "module.remove"
        case addLink = "link.add"
        case removeLink = "link.remove"
        /// Adds classifier rules (`module`, `rules`), appended or at `position`.
        case addRules = "rules.add"
        /// Removes classifier rules by their filter text (`module`, `filters`).
        case removeRules = "rules.remove"
        /// Replaces a flowSteer module's ranges (`module`, `ranges`).
        case setRanges = "ranges.set"
        /// Pins flows to gates (`module`, `flows`).
        case addExceptions = "exceptions.add"
        case removeExceptions = "exceptions.remove"
        /// Several requests applied together, all or none (`requests`).
        case batch
        /// Turns this connection into a stream of events, one JSON object per line.
        case subscribe
    }

    public var id: Int?
    public var op: Operation
    public var vport: VportSpec?
    public var module: ModuleSpec?
    /// The module, vport or link source the operation is about.
    public var name: String?
    public var link: LinkSpec?
    public var rules: [ModuleSpec.Rule]?
    public var position: Int?
    public var filters: [String]?
    public var ranges: [ModuleSpec.Range]?
    public var flows: [FlowSpec]?
    public var requests: [ControlRequest]?

    public init(id: Int? = nil, op: Operation, vport: VportSpec? = nil, module: ModuleSpec? = nil, name: String? = nil, link: LinkSpec? = nil,
                rules: [ModuleSpec.Rule]? = nil, position: Int? = nil, filters: [String]? = nil, ranges: [ModuleSpec.Range]? = nil,
                flows: [FlowSpec]? = nil, requests: [ControlRequest]? = nil) {
        self.id = id
        self.op = op
        self.vport = vport
        self.module = module
        self.name = name
        self.link = link
        self.rules = rules
        self.position = position
        self.filters = filters
        self.ranges = ranges
        self.flows = flows
        self.requests = requests
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, op, vport, module, name, link, rules, position, filters, ranges, flows, requests
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeUnlessAbsent(Int.self, forKey: .id)
        op = try container.decode(Operation.self, forKey: .op)
        vport = try container.decodeUnlessAbsent(VportSpec.self, forKey: .vport)
        module = try container.decodeUnlessAbsent(ModuleSpec.self, forKey: .module)
        name = try container.decodeUnlessAbsent(String.self, forKey: .name)
        link = try container.decodeUnlessAbsent(LinkSpec.self, forKey: .link)
        rules = try container.decodeUnlessAbsent([ModuleSpec.Rule].self, forKey: .rules)
        position = try container.decodeUnlessAbsent(Int.self, forKey: .position)
        filters = try container.decodeUnlessAbsent([String].self, forKey: .filters)
        ranges = try container.decodeUnlessAbsent([ModuleSpec.Range].self, forKey: .ranges)
        flows = try container.decodeUnlessAbsent([FlowSpec].self, forKey: .flows)
        requests = try container.decodeUnlessAbsent([ControlRequest].self, forKey: .requests)
    }
}

/// One flow of an exception: its 5-tuple and the gate it stays on.
public struct FlowSpec: Codable, Sendable, Equatable {
    public var source: String
    public var destination: String
    public var sourcePort: Int
    public var destinationPort: Int
    public var proto: Int
    public var gate: Int?

    public init(source: String, destination: String, sourcePort: Int, destinationPort: Int, proto: Int, gate: Int? = nil) {
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.proto = proto
        self.gate = gate
    }

    /// The flow as E2D keys it; nil when an address or port is not valid.
    public var key: FlowKey? {
        guard let source = Self.address(source), let destination = Self.address(destination),
              (0...65535).contains(sourcePort), (0...65535).contains(destinationPort), (0...255).contains(proto) else { return nil }
        var key = FlowKey()
        key.sourceAddress = source
        key.destinationAddress = destination
        key.sourcePort = UInt16(sourcePort)
        key.destinationPort = UInt16(destinationPort)
        key.transportProtocol = UInt8(proto)
        return key
    }

    /// An IPv4 or IPv6 address as FlowKey stores it.
    static func address(_ text: String) -> UInt128? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return UInt128(UInt32(bigEndian: v4.s_addr)) }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        return withUnsafeBytes(of: v6) { bytes in bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) } }
    }
}

/// The answer to a request, one JSON object per line.
public struct ControlResponse: Codable, Sendable, Equatable {
    public var id: Int?
    public var ok: Bool
    public var error: String?
    public var statistics: DataplaneStatistics?
    public var configuration: DataplaneConfiguration?
    /// For vport.add: the lcore ID the NF must use and the names it attaches by.
    public var vport: VportAttachment?
    /// How long the dataplane thread took to apply the change, in microseconds.
    public var appliedMicros: Double?

    public init(id: Int?, ok: Bool, error: String? = nil) {
        self.id = id
        self.ok = ok
        self.error = error
    }
}

/// What an NF needs to attach to a native vport (or where a legacy vport's interface is).
public struct VportAttachment: Codable, Sendable, Equatable {
    public var name: String
    public var kind: VportSpec.Kind
    public var nfLcore: Int?
    public var interface: String?
}
