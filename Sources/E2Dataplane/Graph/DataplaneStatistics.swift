/// E2D's counters: what `e2 dataplane` prints when it stops and the control socket's `stats`.
public struct DataplaneStatistics: Codable, Sendable, Equatable {
    public struct Port: Codable, Sendable, Equatable {
        public var received: UInt64 = 0
        public var sent: UInt64 = 0
        /// Packets the port did not take on transmit.
        public var dropped: UInt64 = 0
        /// Whether the link is up (a memif port whose peer connected); nil for vports.
        public var linkUp: Bool?
    }

    public struct Module: Codable, Sendable, Equatable {
        public var type: ModuleSpec.Kind
        /// Packets into the module.
        public var packets: UInt64
        /// Packets out of each gate.
        public var gates: [UInt64]
        /// Packets sent to a gate that is not linked (dropped).
        public var unlinkedDrops: UInt64
        /// The module's own figures (active flows, exceptions, rules, ...).
        public var figures: [String: Double]
    }

    public struct VportState: Codable, Sendable, Equatable {
        public var kind: VportSpec.Kind
        public var device: String
        public var interface: String?
        /// The lcore ID the NF must use (native vports).
        public var nfLcore: Int?
        /// The attached NF's pid (native vports; 0 when none).
        public var nfPid: Int32?
        public var occupancy: Double
        public var delayMicros: Double
        public var drops: UInt64
        public var overloaded: Bool
        public var stalled: Bool
    }

    public var ports: [String: Port] = [:]
    public var modules: [String: Module] = [:]
    /// Per classifier: packets per gate (for the `classifiers` shorthand, a gate per rule then the default).
    public var gates: [String: [UInt64]] = [:]
    public var vports: [String: VportState] = [:]
    /// Packets freed by drop modules or sent to gates that are not linked.
    public var droppedByPolicy: UInt64 = 0
    public var usesHugepages = false
    /// How long the loop has run, in seconds.
    public var seconds: Double = 0

    public init() {}
}

extension GraphRuntime {
    /// A snapshot of every counter (dataplane thread).
    func statistics() -> DataplaneStatistics {
        var statistics = DataplaneStatistics()
        for name in configuration.portNames { statistics.ports[name] = .init() }
        for node in nodes {
            let gates = (0..<node.gateCount).map { node.gateCounts[$0] }
            statistics.modules[node.name] = .init(type: node.type, packets: node.packets, gates: gates,
                                                  unlinkedDrops: node.unlinkedDrops, figures: node.module.figures())
            if node.type == .classifier { statistics.gates[node.name] = gates }
            statistics.droppedByPolicy &+= node.unlinkedDrops
            switch node.module {
            case let input as InputModule:
                if let name = portName(of: input.port) { statistics.ports[name]?.received &+= input.received }
            case let output as OutputModule:
                if let name = portName(of: output.port) {
                    statistics.ports[name]?.sent &+= output.sent
                    statistics.ports[name]?.dropped &+= output.dropped
                }
            case is DropModule:
                statistics.droppedByPolicy &+= node.packets
            default:
                break
            }
        }
        for (name, retired) in retiredCounts where statistics.modules[name] == nil {
            statistics.droppedByPolicy &+= retired.unlinked
        }
        for (name, vport) in vports {
            let monitor = monitors[name]
            statistics.vports[name] = .init(
                kind: vport.spec.kind, device: vport.deviceName, interface: vport.spec.interface,
                nfLcore: vport.spec.kind == .native ? vport.nfLcore : nil, nfPid: vport.spec.kind == .native ? vport.attachedPid : nil,
                occupancy: monitor?.lastOccupancy ?? 0, delayMicros: monitor?.delayMicros ?? 0, drops: monitor?.totalDrops ?? 0,
                overloaded: monitor?.overloaded ?? false, stalled: monitor?.stalled ?? false)
        }
        return statistics
    }

    /// The configuration's name of a port object.
    func portName(of port: EthernetPort) -> String? {
        if let vport = vports.first(where: { $0.value.port === port }) { return vport.key }
        return configuration.ports.first { $0.device == port.name }?.name
    }
}
