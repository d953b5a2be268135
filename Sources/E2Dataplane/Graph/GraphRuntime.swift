import CE2DPDK

/// What the packet path needs of one module, in one flat buffer: no reference counting and no
/// dynamic exclusivity checks per burst (the `GraphNode` owning the module keeps it alive).
struct NodeSlot {
    /// The module, unretained, called through its concrete type (`dispatch`): an existential
    /// call retained and released the module on every burst.
    var object: UnsafeMutableRawPointer
    var type: ModuleSpec.Kind
    var gateCount: Int
    /// Node index per gate, -1 when the gate is not linked (its packets are dropped).
    var targets: UnsafeMutablePointer<Int32>
    var gateCounts: UnsafeMutablePointer<UInt64>
    var gates: UnsafeMutablePointer<UInt16>
    /// Where this module gathers one gate's packets before handing them on.
    var scratch: UnsafeMutablePointer<OpaquePointer?>
    var packets: UInt64 = 0
    var unlinkedDrops: UInt64 = 0
}

/// An input module (unretained) and its node, for the poll loop.
struct InputSlot {
    var object: UnsafeMutableRawPointer
    var node: Int
}

/// Calls a module of a known class without retaining it; the `GraphNode` keeps it alive.
@inline(__always)
func callModule<Module: PacketModule>(_ type: Module.Type, _ object: UnsafeMutableRawPointer, _ burst: inout PacketBurst,
                                      _ gates: UnsafeMutablePointer<UInt16>, _ context: ModuleContext) -> ModuleVerdict {
    Unmanaged<Module>.fromOpaque(object)._withUnsafeGuaranteedRef { $0.process(&burst, gates: gates, context: context) }
}

extension NodeSlot {
    /// The module's `process`, dispatched on its type.
    @inline(__always)
    func dispatch(_ burst: inout PacketBurst, context: ModuleContext) -> ModuleVerdict {
        switch type {
        case .input: callModule(InputModule.self, object, &burst, gates, context)
        case .output: callModule(OutputModule.self, object, &burst, gates, context)
        case .drop: callModule(DropModule.self, object, &burst, gates, context)
        case .classifier: callModule(ClassifierModule.self, object, &burst, gates, context)
        case .tagSet: callModule(TagSetModule.self, object, &burst, gates, context)
        case .tagMatch: callModule(TagMatchModule.self, object, &burst, gates, context)
        case .tagStrip: callModule(TagStripModule.self, object, &burst, gates, context)
        case .flowSteer: callModule(FlowSteerModule.self, object, &burst, gates, context)
        case .flowTracker: callModule(FlowTrackerModule.self, object, &burst, gates, context)
        case .nshEncap: callModule(NSHEncapModule.self, object, &burst, gates, context)
        case .nshDecap: callModule(NSHDecapModule.self, object, &burst, gates, context)
        case .nshSteer: callModule(NSHSteerModule.self, object, &burst, gates, context)
        case .tee: callModule(TeeModule.self, object, &burst, gates, context)
        case .counter: callModule(CounterModule.self, object, &burst, gates, context)
        }
    }
}

/// One module in the running graph: it owns the module and the buffers its slot points to.
/// Made when the graph is linked; never on the packet path.
final class GraphNode {
    let name: String
    let type: ModuleSpec.Kind
    let module: any PacketModule
    let gateCount: Int
    let targets: UnsafeMutablePointer<Int32>
    let gateCounts: UnsafeMutablePointer<UInt64>
    let gates: UnsafeMutablePointer<UInt16>
    let scratch: UnsafeMutablePointer<OpaquePointer?>
    /// The node's slot in the runtime's current buffer.
    var slot: UnsafeMutablePointer<NodeSlot>?

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
        scratch = .allocate(capacity: burstCapacity)
        scratch.initialize(repeating: nil, count: burstCapacity)
    }

    var packets: UInt64 { slot?.pointee.packets ?? 0 }
    var unlinkedDrops: UInt64 { slot?.pointee.unlinkedDrops ?? 0 }

    deinit {
        targets.deallocate()
        gateCounts.deallocate()
        gates.deallocate()
        scratch.deallocate()
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
    var slots: UnsafeMutablePointer<NodeSlot>?
    var inputs = UnsafeMutableBufferPointer<InputSlot>(start: nil, count: 0)
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

    deinit {
        slots?.deallocate()
        inputs.deallocate()
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
            index[spec.name] = built.count
            built.append(GraphNode(name: spec.name, type: spec.type, module: module, burstCapacity: burstCapacity))
        }
        for link in configuration.allLinks() {
            guard let source = link.source, let from = index[source.module], let to = index[link.to], source.gate < built[from].gateCount else { continue }
            built[from].targets[source.gate] = Int32(to)
        }
        let newSlots = UnsafeMutablePointer<NodeSlot>.allocate(capacity: max(built.count, 1))
        for (position, node) in built.enumerated() {
            var slot = NodeSlot(object: Unmanaged.passUnretained(node.module as AnyObject).toOpaque(), type: node.type,
                                gateCount: node.gateCount, targets: node.targets, gateCounts: node.gateCounts,
                                gates: node.gates, scratch: node.scratch)
            if let old = previous[node.name] {
                slot.packets = old.packets
                slot.unlinkedDrops = old.unlinkedDrops
                for gate in 0..<min(old.gateCount, node.gateCount) { node.gateCounts[gate] = old.gateCounts[gate] }
            }
            (newSlots + position).initialize(to: slot)
            node.slot = newSlots + position
        }
        for node in previous.values where index[node.name] == nil {
            retiredCounts[node.name] = (node.packets, (0..<node.gateCount).map { node.gateCounts[$0] }, node.unlinkedDrops)
        }
        for node in nodes { node.slot = nil }
        if let slots {
            slots.deinitialize(count: nodes.count)
            slots.deallocate()
        }
        nodes = built
        slots = newSlots
        inputs.deallocate()
        let inputNodes = built.indices.filter { built[$0].type == .input }
        inputs = .allocate(capacity: inputNodes.count)
        for (position, node) in inputNodes.enumerated() {
            let input = built[node].module as! InputModule
            inputs.baseAddress!.advanced(by: position).initialize(to: InputSlot(object: Unmanaged.passUnretained(input).toOpaque(), node: node))
        }
        monitorList = Array(monitors.values)
    }

    /// Pushes a burst into node `index`; when it returns, every packet was sent, freed or
    /// handed on, and the burst is empty.
    @inline(__always)
    func push(_ index: Int, _ burst: inout PacketBurst, context: ModuleContext) {
        let slot = slots.unsafelyUnwrapped + index
        slot.pointee.packets &+= UInt64(burst.count)
        let gates = slot.pointee.gates
        switch slot.pointee.dispatch(&burst, context: context) {
        case .consumed:
            burst.count = 0
        case .allTo(let gate):
            forward(slot, Int(gate), &burst, context: context)
        case .perPacket:
            let gateCount = slot.pointee.gateCount
            var scratch = PacketBurst(storage: slot.pointee.scratch, capacity: burstCapacity)
            for gate in 0..<gateCount {
                for packet in 0..<burst.count where Int(gates[packet]) == gate {
                    scratch.packets[scratch.count] = burst.packets[packet]
                    scratch.count += 1
                }
                if scratch.count > 0 { forward(slot, gate, &scratch, context: context) }
            }
            burst.count = 0
        case .everyGate:
            let gateCount = slot.pointee.gateCount
            var scratch = PacketBurst(storage: slot.pointee.scratch, capacity: burstCapacity)
            for gate in 1..<max(gateCount, 1) {
                for packet in 0..<burst.count {
                    guard let copy = ce2_mbuf_copy(burst.packets[packet], context.pool) else { continue }
                    scratch.packets[scratch.count] = copy
                    scratch.count += 1
                }
                if scratch.count > 0 { forward(slot, gate, &scratch, context: context) }
            }
            if gateCount > 0 { forward(slot, 0, &burst, context: context) } else { burst.free() }
        }
    }

    @inline(__always)
    func forward(_ slot: UnsafeMutablePointer<NodeSlot>, _ gate: Int, _ burst: inout PacketBurst, context: ModuleContext) {
        let count = burst.count
        guard gate < slot.pointee.gateCount else {
            slot.pointee.unlinkedDrops &+= UInt64(count)
            burst.free()
            return
        }
        slot.pointee.gateCounts[gate] &+= UInt64(count)
        let target = Int(slot.pointee.targets[gate])
        if target < 0 {
            slot.pointee.unlinkedDrops &+= UInt64(count)
            burst.free()
        } else {
            push(target, &burst, context: context)
        }
    }

    /// Polls every input once and pushes what came; whether any packet came.
    @inline(__always)
    func pollInputs(_ burst: inout PacketBurst, context: ModuleContext) -> Bool {
        var busy = false
        for input in inputs {
            let received = Unmanaged<InputModule>.fromOpaque(input.object)._withUnsafeGuaranteedRef { $0.poll(&burst, context: context) }
            if received > 0 {
                busy = true
                push(input.node, &burst, context: context)
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
