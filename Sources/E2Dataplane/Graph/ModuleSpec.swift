import E2Engine

/// One module of E2D's graph as the configuration and the control socket describe it.
///
/// The JSON is flat: `name`, `type`, and the members that type uses. Modules have numbered
/// output gates (`gateCount`); links connect a gate to another module's input.
public struct ModuleSpec: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Receives bursts from a port or vport (`port`); one gate.
        case input
        /// Sends to a port or vport (`port`); no gates.
        case output
        /// Frees every packet; no gates.
        case drop
        /// libpcap filters in order, first match wins (`rules`, `gates`, `defaultGate`).
        case classifier
        /// Sets metadata tag `slot` to `value`; one gate.
        case tagSet
        /// Gate `i` when tag `slot` equals `values[i]`, else gate `values.count`.
        case tagMatch
        /// Clears every tag; one gate.
        case tagStrip
        /// Flow-ID hashing over `fields`, `ranges` to gates, per-flow exceptions (§5.4).
        case flowSteer
        /// Counts active flows with idle expiry (`idleSeconds`); one gate.
        case flowTracker
        /// Adds an NSH header (`servicePath`, `serviceIndex`, MACs) carrying the tags; one gate.
        case nshEncap
        /// Removes an NSH header: gate 0 decapsulated (tags restored), gate 1 not NSH.
        case nshDecap
        /// Steers NSH packets by service path without changing them: gate i for
        /// `servicePaths[i]`, the last gate for other paths and for packets that are not NSH.
        case nshSteer
        /// Every packet to every one of `gates` gates (copies for gates 1 and up).
        case tee
        /// Counts packets and bytes; one gate.
        case counter
    }

    public struct Rule: Codable, Sendable, Equatable {
        /// A libpcap filter.
        public var filter: String
        /// The gate matching packets leave by.
        public var gate: Int

        public init(filter: String, gate: Int) {
            self.filter = filter
            self.gate = gate
        }
    }

    public struct Range: Codable, Sendable, Equatable {
        public var lower: Int
        public var upper: Int
        public var gate: Int

        public init(lower: Int, upper: Int, gate: Int) {
            self.lower = lower
            self.upper = upper
            self.gate = gate
        }
    }

    public var name: String
    public var type: Kind
    public var port: String?
    public var rules: [Rule]?
    public var gates: Int?
    public var defaultGate: Int?
    public var slot: Int?
    public var value: Int?
    public var values: [Int]?
    /// Affinity fields of flowSteer: `src_ip`, `dst_ip`, `src_port`, `dst_port`, `proto`.
    public var fields: [String]?
    public var ranges: [Range]?
    public var idleSeconds: Double?
    public var servicePath: Int?
    public var serviceIndex: Int?
    /// Ethernet addresses of the NSH outer header, `02:00:00:00:00:01`.
    public var destination: String?
    public var source: String?
    /// nshSteer: the service paths, one gate each.
    public var servicePaths: [Int]?
    /// flowSteer: remember active flows so that a change of ranges keeps them on their gate
    /// (migration avoidance); flows idle for `idleSeconds` (30) are forgotten.
    public var migrationAvoidance: Bool?

    public init(name: String, type: Kind, port: String? = nil, rules: [Rule]? = nil, gates: Int? = nil, defaultGate: Int? = nil,
                slot: Int? = nil, value: Int? = nil, values: [Int]? = nil, fields: [String]? = nil, ranges: [Range]? = nil,
                idleSeconds: Double? = nil, servicePath: Int? = nil, serviceIndex: Int? = nil, destination: String? = nil, source: String? = nil,
                servicePaths: [Int]? = nil, migrationAvoidance: Bool? = nil) {
        self.name = name
        self.type = type
        self.port = port
        self.rules = rules
        self.gates = gates
        self.defaultGate = defaultGate
        self.slot = slot
        self.value = value
        self.values = values
        self.fields = fields
        self.ranges = ranges
        self.idleSeconds = idleSeconds
        self.servicePath = servicePath
        self.serviceIndex = serviceIndex
        self.destination = destination
        self.source = source
        self.servicePaths = servicePaths
        self.migrationAvoidance = migrationAvoidance
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, type, port, rules, gates, defaultGate, slot, value, values, fields, ranges, idleSeconds
        case servicePath, serviceIndex, destination, source, servicePaths, migrationAvoidance
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        type = try container.decode(Kind.self, forKey: .type)
        port = try container.decodeUnlessAbsent(String.self, forKey: .port)
        rules = try container.decodeUnlessAbsent([Rule].self, forKey: .rules)
        gates = try container.decodeUnlessAbsent(Int.self, forKey: .gates)
        defaultGate = try container.decodeUnlessAbsent(Int.self, forKey: .defaultGate)
        slot = try container.decodeUnlessAbsent(Int.self, forKey: .slot)
        value = try container.decodeUnlessAbsent(Int.self, forKey: .value)
        values = try container.decodeUnlessAbsent([Int].self, forKey: .values)
        fields = try container.decodeUnlessAbsent([String].self, forKey: .fields)
        ranges = try container.decodeUnlessAbsent([Range].self, forKey: .ranges)
        idleSeconds = try container.decodeUnlessAbsent(Double.self, forKey: .idleSeconds)
        servicePath = try container.decodeUnlessAbsent(Int.self, forKey: .servicePath)
        serviceIndex = try container.decodeUnlessAbsent(Int.self, forKey: .serviceIndex)
        destination = try container.decodeUnlessAbsent(String.self, forKey: .destination)
        source = try container.decodeUnlessAbsent(String.self, forKey: .source)
        servicePaths = try container.decodeUnlessAbsent([Int].self, forKey: .servicePaths)
        migrationAvoidance = try container.decodeUnlessAbsent(Bool.self, forKey: .migrationAvoidance)
    }

    /// How many output gates the module has.
    public var gateCount: Int {
        switch type {
        case .output, .drop: 0
        case .input, .tagSet, .tagStrip, .flowTracker, .nshEncap, .counter: 1
        case .nshDecap: 2
        case .tagMatch: (values?.count ?? 0) + 1
        case .nshSteer: (servicePaths?.count ?? 0) + 1
        case .classifier, .flowSteer, .tee: gates ?? 0
        }
    }

    /// The affinity field names flowSteer understands.
    public static let flowFields: [String: HeaderField] = [
        "src_ip": .sourceAddress, "dst_ip": .destinationAddress, "src_port": .sourcePort, "dst_port": .destinationPort, "proto": .transportProtocol,
    ]

    /// Everything wrong with this module on its own (links and ports are checked by the graph).
    public func problems(at path: String) -> [DescriptionError] {
        var problems: [DescriptionError] = []
        func problem(_ member: String, _ message: String) { problems.append(DescriptionError(path: "\(path).\(member)", message: message)) }
        func require<T>(_ value: T?, _ member: String, _ what: String) {
            if value == nil { problem(member, "a \(type.rawValue) module needs \(what)") }
        }
        if name.isEmpty || name.contains(":") || name.contains(where: \.isWhitespace) {
            problem("name", "a module name is non-empty, without spaces or colons")
        }
        switch type {
        case .input, .output:
            require(port, "port", "the port or vport it \(type == .input ? "receives from" : "sends to")")
        case .classifier:
            require(gates, "gates", "a number of gates")
            require(rules, "rules", "rules ({\"filter\", \"gate\"})")
            require(defaultGate, "defaultGate", "the gate packets matching no rule leave by")
            for (index, rule) in (rules ?? []).enumerated() where !(0..<gateCount).contains(rule.gate) {
                problem("rules[\(index)].gate", "gate \(rule.gate) is not one of the module's \(gateCount) gates")
            }
            if let defaultGate, !(0..<gateCount).contains(defaultGate) { problem("defaultGate", "gate \(defaultGate) is not one of the module's \(gateCount) gates") }
        case .tagSet, .tagMatch:
            require(slot, "slot", "a tag slot (0-7)")
            if let slot, !(0..<8).contains(slot) { problem("slot", "tag slots are 0-7") }
            if type == .tagSet {
                require(value, "value", "the tag value (1-255)")
                if let value, !(1...255).contains(value) { problem("value", "tag values are 1-255 (0 means unset)") }
            } else {
                require(values, "values", "the tag values to match")
                for (index, value) in (values ?? []).enumerated() where !(0...255).contains(value) { problem("values[\(index)]", "tag values are 0-255") }
            }
        case .flowSteer:
            require(gates, "gates", "a number of gates")
            require(fields, "fields", "the affinity fields (src_ip, dst_ip, src_port, dst_port, proto)")
            require(ranges, "ranges", "flow-ID ranges covering 0-65535")
            for (index, field) in (fields ?? []).enumerated() where Self.flowFields[field] == nil {
                problem("fields[\(index)]", "unknown field \"\(field)\"; expected src_ip, dst_ip, src_port, dst_port or proto")
            }
            var next = 0
            for (index, range) in (ranges ?? []).sorted(by: { $0.lower < $1.lower }).enumerated() {
                if !(0..<gateCount).contains(range.gate) { problem("ranges[\(index)].gate", "gate \(range.gate) is not one of the module's \(gateCount) gates") }
                if range.lower != next || range.upper < range.lower || range.upper > 65535 {
                    problem("ranges", "the ranges must cover flow IDs 0-65535 exactly once; \(next) is \(range.lower > next ? "not covered" : "covered twice or out of order")")
                    break
                }
                next = range.upper + 1
            }
            if ranges != nil && next != 65536 && problems.isEmpty { problem("ranges", "the ranges must cover flow IDs 0-65535; \(next)-65535 is not covered") }
        case .flowTracker:
            if let idleSeconds, !(idleSeconds > 0) { problem("idleSeconds", "a positive number of seconds") }
        case .nshEncap:
            require(servicePath, "servicePath", "the service path identifier (0-16777215)")
            require(serviceIndex, "serviceIndex", "the service index (1-255)")
            if let servicePath, !(0...0xFF_FFFF).contains(servicePath) { problem("servicePath", "service path identifiers are 24 bits") }
            if let serviceIndex, !(1...255).contains(serviceIndex) { problem("serviceIndex", "service indexes are 1-255") }
            for (member, address) in [("destination", destination), ("source", source)] {
                if let address, Self.macAddress(address) == nil { problem(member, "an Ethernet address such as 02:00:00:00:00:01") }
            }
        case .nshSteer:
            require(servicePaths, "servicePaths", "the service paths to steer by")
            for (index, path) in (servicePaths ?? []).enumerated() where !(0...0xFF_FFFF).contains(path) {
                problem("servicePaths[\(index)]", "service path identifiers are 24 bits")
            }
            if let paths = servicePaths, Set(paths).count != paths.count { problem("servicePaths", "each service path once") }
        case .tee:
            require(gates, "gates", "a number of gates")
            if let gates, gates < 1 { problem("gates", "a tee has at least one gate") }
        case .drop, .tagStrip, .nshDecap, .counter:
            break
        }
        if let gates, !(0...64).contains(gates) { problem("gates", "0-64 gates") }
        return problems
    }

    /// The six bytes of `02:00:00:00:00:01`, or nil.
    public static func macAddress(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        let bytes = parts.compactMap { $0.count == 2 ? UInt8($0, radix: 16) : nil }
        return bytes.count == 6 ? bytes : nil
    }
}

/// A link from one module's gate to another module, written `"from": "name:gate"` (gate 0
/// when omitted) and `"to": "name"`.
public struct LinkSpec: Codable, Sendable, Equatable, Hashable {
    public var from: String
    public var to: String

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }

    /// The module and gate of `from`; nil when the gate is not a number.
    public var source: (module: String, gate: Int)? {
        guard let colon = from.lastIndex(of: ":") else { return (from, 0) }
        guard let gate = Int(from[from.index(after: colon)...]), gate >= 0 else { return nil }
        return (String(from[..<colon]), gate)
    }
}

/// A port for an NF instance (§4): native NFs exchange bursts with E2D through a pair of
/// shared rings; legacy NFs get an ordinary Linux interface (one end of a veth pair).
public struct VportSpec: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case native, legacy
    }

    public var name: String
    public var kind: Kind
    /// The Linux interface the legacy NF uses (at most 13 characters; E2D's end of the veth
    /// pair is this name followed by `-d`).
    public var interface: String?
    /// Ring size of a native vport (a power of two), 1024 by default.
    public var ringSize: Int?

    public init(name: String, kind: Kind, interface: String? = nil, ringSize: Int? = nil) {
        self.name = name
        self.kind = kind
        self.interface = interface
        self.ringSize = ringSize
    }

    public func problems(at path: String) -> [DescriptionError] {
        var problems: [DescriptionError] = []
        if name.isEmpty || name.count > 24 || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) {
            problems.append(DescriptionError(path: "\(path).name", message: "a vport name is 1-24 letters, digits, - or _"))
        }
        switch kind {
        case .legacy:
            if let interface {
                if interface.isEmpty || interface.count > 13 || !interface.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }) {
                    problems.append(DescriptionError(path: "\(path).interface", message: "a Linux interface name of 1-13 letters, digits, '-', '_' or '.' (E2D's end adds -d)"))
                }
            } else {
                problems.append(DescriptionError(path: "\(path).interface", message: "a legacy vport needs the Linux interface name to create"))
            }
            if ringSize != nil { problems.append(DescriptionError(path: "\(path).ringSize", message: "only native vports have rings")) }
        case .native:
            if interface != nil { problems.append(DescriptionError(path: "\(path).interface", message: "only legacy vports have a Linux interface")) }
            if let ringSize, ringSize < 64 || ringSize > 65536 || ringSize & (ringSize - 1) != 0 {
                problems.append(DescriptionError(path: "\(path).ringSize", message: "a power of two from 64 to 65536"))
            }
        }
        return problems
    }
}
