/// The cluster E2 runs on: one rack switch and the servers behind it (§2.2).
///
/// The JSON form is that of `examples/hardware-*.json`.
public struct HardwareDescription: Codable, Sendable, Equatable, ValidatedDocument {
    public var `switch`: SwitchDescription
    public var servers: [ServerDescription]

    public init(switch: SwitchDescription, servers: [ServerDescription]) {
        self.switch = `switch`
        self.servers = servers
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case `switch`, servers }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.switch = try container.decode(SwitchDescription.self, forKey: .switch)
        servers = try container.decode([ServerDescription].self, forKey: .servers)
    }

    public func problems() -> [DescriptionError] {
        var problems = self.switch.problems(at: "$.switch")
        if servers.isEmpty { problems.append(.init(path: "$.servers", message: "a cluster needs at least one server")) }
        var names: [String: Int] = [:]
        var ports: [Int: Int] = [:]
        for (index, server) in servers.enumerated() {
            let at = "$.servers[\(index)]"
            if let first = names[server.name] {
                problems.append(.init(path: "\(at).name", message: "server \"\(server.name)\" is also $.servers[\(first)]"))
            } else {
                names[server.name] = index
            }
            if server.name.isEmpty { problems.append(.init(path: "\(at).name", message: "must not be empty")) }
            if server.cores < 1 { problems.append(.init(path: "\(at).cores", message: "must be at least 1")) }
            if server.dataplaneCores < 0 || server.dataplaneCores >= server.cores {
                problems.append(.init(path: "\(at).dataplaneCores", message: "must be at least 0 and leave a core for NFs (the server has \(server.cores))"))
            }
            if !(server.ghz > 0) || !server.ghz.isFinite { problems.append(.init(path: "\(at).ghz", message: "must be a positive number")) }
            if !(server.nicGbps > 0) || !server.nicGbps.isFinite { problems.append(.init(path: "\(at).nicGbps", message: "must be a positive number")) }
            if server.switchPort < 0 || server.switchPort >= self.switch.ports {
                problems.append(.init(path: "\(at).switchPort", message: "port \(server.switchPort) is not on the switch (ports 0-\(self.switch.ports - 1))"))
            } else if let first = ports[server.switchPort] {
                problems.append(.init(path: "\(at).switchPort", message: "port \(server.switchPort) is also wired to $.servers[\(first)]"))
            } else {
                ports[server.switchPort] = index
            }
        }
        return problems
    }
}

/// The rack switch: its ports, flow table and the actions it offers for offload.
public struct SwitchDescription: Codable, Sendable, Equatable {
    public var model: String?
    public var ports: Int
    public var portGbps: Double
    /// How many flow-table entries E2's rules may use.
    public var flowTableEntries: Int
    /// How long one rule update takes on the switch, in milliseconds.
    public var ruleUpdateMs: Double
    public var actions: [String]

    public init(model: String? = nil, ports: Int, portGbps: Double, flowTableEntries: Int, ruleUpdateMs: Double, actions: [String]) {
        self.model = model
        self.ports = ports
        self.portGbps = portGbps
        self.flowTableEntries = flowTableEntries
        self.ruleUpdateMs = ruleUpdateMs
        self.actions = actions
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case model, ports, portGbps, flowTableEntries, ruleUpdateMs, actions }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decodeUnlessAbsent(String.self, forKey: .model)
        ports = try container.decode(Int.self, forKey: .ports)
        portGbps = try container.decode(Double.self, forKey: .portGbps)
        flowTableEntries = try container.decode(Int.self, forKey: .flowTableEntries)
        ruleUpdateMs = try container.decode(Double.self, forKey: .ruleUpdateMs)
        actions = try container.decode([String].self, forKey: .actions)
    }

    func problems(at path: String) -> [DescriptionError] {
        var problems: [DescriptionError] = []
        if ports < 1 { problems.append(.init(path: "\(path).ports", message: "must be at least 1")) }
        if !(portGbps > 0) || !portGbps.isFinite { problems.append(.init(path: "\(path).portGbps", message: "must be a positive number")) }
        if flowTableEntries < 0 { problems.append(.init(path: "\(path).flowTableEntries", message: "must not be negative")) }
        if !(ruleUpdateMs >= 0) || !ruleUpdateMs.isFinite { problems.append(.init(path: "\(path).ruleUpdateMs", message: "must be a number of milliseconds, 0 or more")) }
        return problems
    }
}

/// One server behind the switch.
public struct ServerDescription: Codable, Sendable, Equatable {
    public var name: String
    public var cores: Int
    public var ghz: Double
    public var nicGbps: Double
    /// The switch port the server's NIC is wired to.
    public var switchPort: Int
    /// Cores E2D keeps for itself; NF instances get the rest.
    public var dataplaneCores: Int

    public init(name: String, cores: Int, ghz: Double, nicGbps: Double, switchPort: Int, dataplaneCores: Int) {
        self.name = name
        self.cores = cores
        self.ghz = ghz
        self.nicGbps = nicGbps
        self.switchPort = switchPort
        self.dataplaneCores = dataplaneCores
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case name, cores, ghz, nicGbps, switchPort, dataplaneCores }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        cores = try container.decode(Int.self, forKey: .cores)
        ghz = try container.decode(Double.self, forKey: .ghz)
        nicGbps = try container.decode(Double.self, forKey: .nicGbps)
        switchPort = try container.decode(Int.self, forKey: .switchPort)
        dataplaneCores = try container.decode(Int.self, forKey: .dataplaneCores)
    }

    /// Cores left for NF instances.
    public var nfCores: Int { cores - dataplaneCores }
}
