import CE2DPDK

/// One module in the running graph with its wiring, its per-gate counts and the scratch
/// burst it gathers each gate's packets into. Made when the graph is linked; never on the
/// packet path.
final class GraphNode {
    let name: String
    let type: ModuleSpec.Kind
    let module: any PacketModule
    let gateCount: Int
    /// Node index per gate, -1 when the gate is not linked (its packets are dropped).
    let targets: UnsafeMutablePointer<Int32>
    let gateCounts: UnsafeMutablePointer<UInt64>
    let gates: UnsafeMutablePointer<UInt16>
    var scratch: PacketBurst
    var packets: UInt64 = 0
    var unlinkedDrops: UInt64 = 0

    init(name: String, type: ModuleSpec.Kind, module: any PacketModule, burstCapacity: Int) {
        self.name = name
        self.type = type
        self.module = module
        gateCount = module.gateCount
        targets = .allocate(capacity: max(gateCount, 1))
        targets.initialize(repeating: -1, count: max(gateCount, 1))
        gateCounts = .allocate(capacity: max(gateCount, 1))
        gateCounts.initialize(repeating: 0, count: max(gateCount, 1))
        gates = .allocate(capacity: burstCapacity)
        gates.initialize(repeating: 0, count: burstCapacity)
        scratch = PacketBurst(capacity: burstCapacity)
    }

    deinit {
        targets.deallocate()
        gateCounts.deallocate()
        gates.deallocate()
    }
}

/// The graph as the dataplane thread runs it: modules by name, linked into nodes, and the
/// input nodes it polls. Only the dataplane thread touches it once the loop runs; the control
/// path changes it through jobs run between bursts (see `ControlMailbox`).
public final class GraphRuntime {
    public private(set) var configuration: DataplaneConfiguration
    var modules: [String: any PacketModule]
    var vports: [String: Vport]
    var monitors: [String: VportMonitor]
    var nodes: [GraphNode] = []
    var inputNodes: [Int] = []
    var monitorList: [VportMonitor] = []
    let burstCapacity = 32
    /// Counts of modules that were replaced or removed, kept so statistics never go back.
    var retiredCounts: [String: (packets: UInt64, gates: [UInt64], unlinked: UInt64)] = [:]

    init(configuration: DataplaneConfiguration, modules: [String: any PacketModule], vports: [String: Vport], monitors: [String: VportMonitor]) {
        self.configuration = configuration
        self.modules = modules
        self.vports = vports
        self.monitors = monitors
        relink()
    }

    /// Replaces the configuration and the modules named in `replacing` (nil removes), then
    /// links the graph again. Counts of a module kept by name carry over.
    func apply(configuration: DataplaneConfiguration, replacing: [String: (any PacketModule)?],
               vports vportChanges: [String: Vport?] = [:], monitors monitorChanges: [String: VportMonitor?] = [:]) {
        self.configuration = configuration
        for (name, module) in replacing { modules[name] = module }
        for (name, vport) in vportChanges { vports[name] = vport }
        for (name, monitor) in monitorChanges { monitors[name] = monitor }
        relink()
    }

    /// Builds the nodes from the configuration's modules and links, keeping counters by name.
    func relink() {
        var previous: [String: GraphNode] = [:]
        for node in nodes { previous[node.name] = node }
        var index: [String: Int] = [:]
        var built: [GraphNode] = []
        for spec in configuration.allModules() {
            guard let module = modules[spec.name] else { continue }
            let node = GraphNode(name: spec.name, type: spec.type, module: module, burstCapacity: burstCapacity)
            if let old = previous[spec.name] {
                node.packets = old.packets
                node.unlinkedDrops = old.unlinkedDrops
                for gate in 0..<min(old.gateCount, node.gateCount) { node.gateCounts[gate] = old.gateCounts[gate] }
            }
            index[spec.name] = built.count
            built.append(node)
        }
        for link in configuration.allLinks() {
            guard let source = link.source, let from = index[source.module], let to = index[link.to], source.gate < built[from].gateCount else { continue }
            built[from].targets[source.gate] = Int32(to)
        }
        for node in previous.values where index[node.name] == nil {
            retiredCounts[node.name] = (node.packets, (0..<node.gateCount).map { node.gateCounts[$0] }, node.unlinkedDrops)
        }
        nodes = built
        inputNodes = built.indices.filter { built[$0].type == .input }
        monitorList = Array(monitors.values)
    }

    /// Pushes a burst into node `index`; when it returns, every packet was sent, freed or
    /// handed on, and the burst is empty.
    @inline(__always)
    func push(_ index: Int, _ burst: inout PacketBurst, context: ModuleContext) {
        let node = nodes[index]
        node.packets &+= UInt64(burst.count)
        switch node.module.process(&burst, gates: node.gates, context: context) {
        case .consumed:
            burst.count = 0
        case .allTo(let gate):
            forward(node, Int(gate), &burst, context: context)
        case .perPacket:
            for gate in 0..<node.gateCount {
                for packet in 0..<burst.count where Int(node.gates[packet]) == gate {
                    node.scratch.packets[node.scratch.count] = burst.packets[packet]
                    node.scratch.count += 1
                }
                if node.scratch.count > 0 { forward(node, gate, &node.scratch, context: context) }
            }
            burst.count = 0
        case .everyGate:
            for gate in 1..<max(node.gateCount, 1) {
                for packet in 0..<burst.count {
                    guard let copy = ce2_mbuf_copy(burst.packets[packet], context.pool) else { continue }
                    node.scratch.packets[node.scratch.count] = copy
                    node.scratch.count += 1
                }
                if node.scratch.count > 0 { forward(node, gate, &node.scratch, context: context) }
            }
            if node.gateCount > 0 { forward(node, 0, &burst, context: context) } else { burst.free() }
        }
    }

    @inline(__always)
    func forward(_ node: GraphNode, _ gate: Int, _ burst: inout PacketBurst, context: ModuleContext) {
        let count = burst.count
        guard gate < node.gateCount else {
            node.unlinkedDrops &+= UInt64(count)
            burst.free()
            return
        }
        node.gateCounts[gate] &+= UInt64(count)
        let target = Int(node.targets[gate])
        if target < 0 {
            node.unlinkedDrops &+= UInt64(count)
            burst.free()
        } else {
            push(target, &burst, context: context)
        }
    }

    /// Polls every input once and pushes what came; whether any packet came.
    @inline(__always)
    func pollInputs(_ burst: inout PacketBurst, context: ModuleContext) -> Bool {
        var busy = false
        for index in inputNodes {
            let input = unsafeDowncast(nodes[index].module, to: InputModule.self)
            if input.poll(&burst, context: context) > 0 {
                busy = true
                push(index, &burst, context: context)
            }
        }
        return busy
    }

    /// Samples the vport monitors whose interval passed.
    func sampleMonitors(now: UInt64, emit: (DataplaneEvent) -> Void) {
        for monitor in monitorList { monitor.sample(now: now, emit: emit) }
    }

    /// The module whose name is given, if it is of type `T`.
    func module<T: PacketModule>(_ name: String, as type: T.Type) -> T? { modules[name] as? T }
}
