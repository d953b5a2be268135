import CE2DPDK
import Foundation

/// The control side of E2D: it owns the running configuration, checks every change against
/// it, builds what the change needs (vports, compiled filters, modules) off the packet path,
/// and hands the result to the dataplane thread in one job. A change is all or nothing: when
/// anything is wrong, nothing changes and the error says what.
public final class DataplaneController: @unchecked Sendable {
    // Everything mutable below is guarded by `lock`: control requests run one at a time.
    private let lock = NSLock()
    private var configuration: DataplaneConfiguration
    private var vports: [String: Vport] = [:]
    private var monitors: [String: VportMonitor] = [:]
    private var filterCache: [String: BPFFilter] = [:]
    private var nextLcore = 1
    /// Stamp indexes of vport monitors (1-255, reused when vports go) and their largest delays.
    private var monitorIndexes: [String: Int] = [:]
    let delays: UnsafeMutablePointer<UInt64> = {
        let table = UnsafeMutablePointer<UInt64>.allocate(capacity: 256)
        table.initialize(repeating: 0, count: 256)
        return table
    }()

    let ports: [String: EthernetPort]
    let pool: PacketPool
    let tags: MetadataTags
    let stampOffset: Int32
    let ticksPerSecond: UInt64
    let settings: MonitorSettings
    public let mailbox = ControlMailbox()
    public let outbox = EventOutbox()
    /// The graph the dataplane thread runs; touch it only through `mailbox` once it runs.
    private(set) var runtime: GraphRuntime!

    /// Builds the whole configuration: vports, modules, links. The EAL must run and `ports`
    /// hold the configuration's ports by name.
    init(configuration: DataplaneConfiguration, ports: [String: EthernetPort], pool: PacketPool) throws(DataplaneError) {
        self.ports = ports
        self.pool = pool
        tags = try MetadataTags()
        let stamp = ce2_register_stamp_field()
        guard stamp >= 0 else { throw .fromErrno("rte_mbuf_dynfield_register(e2_vport_stamp)") }
        stampOffset = stamp
        ticksPerSecond = ce2_tsc_hz()
        settings = configuration.monitor ?? MonitorSettings()
        self.configuration = DataplaneConfiguration(ports: configuration.ports, memoryMegabytes: configuration.memoryMegabytes)
        var built: [String: any PacketModule] = [:]
        do {
            for spec in configuration.vports { try createVport(spec) }
            for spec in configuration.allModules() { built[spec.name] = try makeModule(spec, vports: vports) }
        } catch {
            for vport in vports.values { vport.close() }
            throw error
        }
        self.configuration = configuration
        runtime = GraphRuntime(configuration: configuration, modules: built, vports: vports, monitors: monitors)
    }

    let started = ContinuousClock.now
    /// Set once by the runner, before the loop starts.
    var usesHugepages = false

    /// The runtime's statistics with the loop's own figures added (dataplane thread).
    func statistics(of runtime: GraphRuntime) -> DataplaneStatistics {
        var statistics = runtime.statistics()
        for (name, port) in ports { statistics.ports[name]?.linkUp = port.linkUp }
        statistics.usesHugepages = usesHugepages
        let elapsed = ContinuousClock.now - started
        statistics.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return statistics
    }

    /// The configuration now running.
    public var currentConfiguration: DataplaneConfiguration { lock.withLock { configuration } }

    /// What the context of every module needs, for the loop.
    var context: ModuleContext { ModuleContext(tags: tags, now: 0, ticksPerSecond: ticksPerSecond, pool: pool.pointer) }

    /// The native vports with an attached NF, for the watcher of NF processes.
    var attachedNFs: [(vport: Vport, pid: Int32)] {
        lock.withLock { vports.values.compactMap { $0.attachedPid != 0 ? ($0, $0.attachedPid) : nil } }
    }

    // MARK: Requests

    /// Answers one request (not `subscribe`, which the socket server handles).
    public func handle(_ request: ControlRequest) -> ControlResponse {
        switch request.op {
        case .stats:
            var response = ControlResponse(id: request.id, ok: true)
            response.statistics = mailbox.perform { self.statistics(of: $0) }
            return response
        case .graph:
            var response = ControlResponse(id: request.id, ok: true)
            response.configuration = currentConfiguration
            return response
        case .subscribe:
            return ControlResponse(id: request.id, ok: false, error: "subscribe is answered by the control socket")
        default:
            return lock.withLock {
                do {
                    return try change(request)
                } catch {
                    return ControlResponse(id: request.id, ok: false, error: "\(error)")
                }
            }
        }
    }

    /// A change being prepared: the configuration it leads to and what the dataplane must do
    /// besides relinking.
    struct Draft {
        var configuration: DataplaneConfiguration
        var addedVports: [VportSpec] = []
        var removedVports: [String] = []
        /// Work on modules' state (exceptions, ranges) run on the dataplane thread.
        var mutations: [(GraphRuntime) -> String?] = []
    }

    struct ChangeError: Error, CustomStringConvertible {
        var description: String
    }

    private func change(_ request: ControlRequest) throws -> ControlResponse {
        var draft = Draft(configuration: configuration)
        try apply(request, to: &draft, depth: 0)
        if let problem = draft.configuration.problems().first { throw ChangeError(description: "\(problem)") }

        // Build what is new, off the packet path. Nothing is visible until the job runs.
        var created: [String: Vport] = [:]
        var newMonitors: [String: VportMonitor?] = [:]
        var replacing: [String: (any PacketModule)?] = [:]
        do {
            for spec in draft.addedVports {
                let vport = try makeVport(spec)
                created[spec.name] = vport
                newMonitors[spec.name] = try makeMonitor(vport, excluding: draft.removedVports)
            }
            for name in draft.removedVports { newMonitors[name] = .some(nil) }
            var visible = vports.filter { !draft.removedVports.contains($0.key) }
            visible.merge(created) { $1 }
            let monitorsAfter = monitors.merging(newMonitors.compactMapValues { $0 }) { $1 }.filter { visible[$0.key] != nil }
            let old = Dictionary(configuration.allModules().map { ($0.name, $0) }, uniquingKeysWith: { $1 })
            for spec in draft.configuration.allModules() {
                let port = spec.port ?? ""
                let portChanged = created[port] != nil || draft.removedVports.contains(port)
                if let previous = old[spec.name], Self.sameModule(previous, spec), !portChanged { continue }
                replacing[spec.name] = try makeModule(spec, vports: visible, monitors: monitorsAfter)
            }
            let names = Set(draft.configuration.allModules().map(\.name))
            for name in old.keys where !names.contains(name) { replacing[name] = .some(nil) }
        } catch {
            for vport in created.values { vport.close() }
            for name in created.keys { monitorIndexes.removeValue(forKey: name) }
            throw error
        }

        // A flowSteer module rebuilt (its gates changed, as when an NF gains an instance) takes
        // over the flows of the one it replaces, mapped gate to gate by where the gates lead.
        var mutations = draft.mutations
        let oldLinks = configuration.allLinks(), newLinks = draft.configuration.allLinks()
        let oldSpecs = Dictionary(configuration.allModules().map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        for spec in draft.configuration.allModules() where spec.type == .flowSteer && spec.migrationAvoidance == true {
            guard let built = replacing[spec.name] as? FlowSteerModule, let previous = oldSpecs[spec.name], previous.type == .flowSteer else { continue }
            func targets(_ links: [LinkSpec]) -> [Int: String] {
                Dictionary(links.compactMap { link in link.source.flatMap { $0.module == spec.name ? ($0.gate, link.to) : nil } }, uniquingKeysWith: { $1 })
            }
            let before = targets(oldLinks), after = Dictionary(targets(newLinks).map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            var map: [UInt16: UInt16] = [:]
            for (gate, module) in before { if let next = after[module] { map[UInt16(gate)] = UInt16(next) } }
            let name = spec.name
            mutations.insert({ runtime in
                if let running = runtime.module(name, as: FlowSteerModule.self) { built.steering.adopt(running.steering, gateMap: map, now: ce2_tsc()) }
                return nil
            }, at: 0)
        }
        let target = draft.configuration
        let vportChanges = created.mapValues { Optional($0) }.merging(draft.removedVports.map { ($0, nil) }) { $1 }
        let finalMutations = mutations
        let outcome = mailbox.perform { runtime -> Result<Double, ChangeError> in
            let start = ce2_tsc()
            for mutation in finalMutations {
                if let problem = mutation(runtime) { return .failure(ChangeError(description: problem)) }
            }
            runtime.apply(configuration: target, replacing: replacing, vports: vportChanges, monitors: newMonitors)
            return .success(Double(ce2_tsc() - start) * 1e6 / Double(self.ticksPerSecond))
        }
        let applied: Double
        switch outcome {
        case .failure(let error):
            for vport in created.values { vport.close() }
            for name in created.keys { monitorIndexes.removeValue(forKey: name) }
            throw error
        case .success(let micros):
            applied = micros
        }
        for name in draft.removedVports {
            vports.removeValue(forKey: name)?.close()
            monitors.removeValue(forKey: name)
            if !created.keys.contains(name) { monitorIndexes.removeValue(forKey: name) }
        }
        for (name, vport) in created {
            vports[name] = vport
            monitors[name] = newMonitors[name] ?? nil
        }
        configuration = target
        var response = ControlResponse(id: request.id, ok: true)
        response.appliedMicros = applied
        if request.op == .addVport, let spec = request.vport, let vport = vports[spec.name] {
            response.vport = VportAttachment(name: spec.name, kind: spec.kind, nfLcore: spec.kind == .native ? vport.nfLcore : nil, interface: spec.interface)
        }
        return response
    }

    /// Whether a running module can stay as it is: its spec is unchanged, apart from the
    /// ranges of a flowSteer module (changed in place so its exceptions survive).
    static func sameModule(_ old: ModuleSpec, _ new: ModuleSpec) -> Bool {
        guard old.type == .flowSteer, new.type == .flowSteer else { return old == new }
        var old = old, new = new
        old.ranges = nil
        new.ranges = nil
        return old == new
    }

    /// Applies one request to the draft's configuration, recording state changes to make.
    private func apply(_ request: ControlRequest, to draft: inout Draft, depth: Int) throws {
        func need<T>(_ value: T?, _ member: String) throws -> T {
            guard let value else { throw ChangeError(description: "\(request.op.rawValue) needs \"\(member)\"") }
            return value
        }
        func moduleIndex(_ name: String) throws -> Int {
            guard let index = draft.configuration.modules.firstIndex(where: { $0.name == name }) else {
                let shorthand = draft.configuration.allModules().contains { $0.name == name }
                throw ChangeError(description: shorthand ? "module \"\(name)\" comes from the classifiers shorthand and cannot be changed; describe it as modules instead"
                                                           : "no module named \"\(name)\"")
            }
            return index
        }
        switch request.op {
        case .stats, .graph, .subscribe:
            throw ChangeError(description: "\(request.op.rawValue) cannot be part of a batch")
        case .batch:
            guard depth == 0 else { throw ChangeError(description: "batches do not nest") }
            for inner in try need(request.requests, "requests") { try apply(inner, to: &draft, depth: 1) }
        case .addVport:
            let spec = try need(request.vport, "vport")
            draft.configuration.vports.append(spec)
            draft.addedVports.append(spec)
        case .removeVport:
            let name = try need(request.name, "name")
            guard let index = draft.configuration.vports.firstIndex(where: { $0.name == name }) else { throw ChangeError(description: "no vport named \"\(name)\"") }
            if let user = draft.configuration.allModules().first(where: { $0.port == name }) {
                throw ChangeError(description: "vport \"\(name)\" is used by module \"\(user.name)\"; remove the module first")
            }
            draft.configuration.vports.remove(at: index)
            if let added = draft.addedVports.firstIndex(where: { $0.name == name }) { draft.addedVports.remove(at: added) } else { draft.removedVports.append(name) }
        case .addModule:
            draft.configuration.modules.append(try need(request.module, "module"))
        case .removeModule:
            let name = try need(request.name, "name")
            draft.configuration.modules.remove(at: try moduleIndex(name))
            draft.configuration.links.removeAll { $0.to == name || $0.source?.module == name }
        case .addLink:
            draft.configuration.links.append(try need(request.link, "link"))
        case .removeLink:
            let from = try need(request.name, "name")
            let normalized = from.contains(":") ? from : from + ":0"
            guard let index = draft.configuration.links.firstIndex(where: { $0.source.map { "\($0.module):\($0.gate)" } == normalized }) else {
                throw ChangeError(description: "no link from \"\(from)\"")
            }
            draft.configuration.links.remove(at: index)
        case .addRules:
            let index = try moduleIndex(try need(request.name, "name"))
            guard draft.configuration.modules[index].type == .classifier else { throw ChangeError(description: "module \"\(draft.configuration.modules[index].name)\" is not a classifier") }
            var rules = draft.configuration.modules[index].rules ?? []
            let position = request.position ?? rules.count
            guard (0...rules.count).contains(position) else { throw ChangeError(description: "position \(position) is outside 0-\(rules.count)") }
            rules.insert(contentsOf: try need(request.rules, "rules"), at: position)
            draft.configuration.modules[index].rules = rules
        case .removeRules:
            let index = try moduleIndex(try need(request.name, "name"))
            guard draft.configuration.modules[index].type == .classifier else { throw ChangeError(description: "module \"\(draft.configuration.modules[index].name)\" is not a classifier") }
            var rules = draft.configuration.modules[index].rules ?? []
            for filter in try need(request.filters, "filters") {
                guard let position = rules.firstIndex(where: { $0.filter == filter }) else { throw ChangeError(description: "no rule with filter \"\(filter)\"") }
                rules.remove(at: position)
            }
            draft.configuration.modules[index].rules = rules
        case .setRanges:
            let name = try need(request.name, "name")
            let index = try moduleIndex(name)
            guard draft.configuration.modules[index].type == .flowSteer else { throw ChangeError(description: "module \"\(name)\" is not a flowSteer module") }
            let ranges = try need(request.ranges, "ranges")
            draft.configuration.modules[index].ranges = ranges
            let steeringRanges = ranges.map { FlowSteering.Range(lower: UInt16(clamping: $0.lower), upper: UInt16(clamping: $0.upper), gate: UInt16(clamping: $0.gate)) }
            draft.mutations.append { runtime in
                // A module made in this same change already has these ranges.
                guard let module = runtime.module(name, as: FlowSteerModule.self) else { return nil }
                do { try module.steering.setRanges(steeringRanges, now: ce2_tsc()) } catch { return "\(error)" }
                return nil
            }
        case .addExceptions, .removeExceptions:
            let name = try need(request.name, "name")
            let index = try moduleIndex(name)
            let module = draft.configuration.modules[index]
            guard module.type == .flowSteer else { throw ChangeError(description: "module \"\(name)\" is not a flowSteer module") }
            var pins: [(FlowKey, UInt16)] = []
            for (position, flow) in try need(request.flows, "flows").enumerated() {
                guard let key = flow.key else { throw ChangeError(description: "flows[\(position)]: addresses must be IPv4 or IPv6, ports 0-65535, proto 0-255") }
                let gate = flow.gate ?? 0
                if request.op == .addExceptions {
                    guard flow.gate != nil, (0..<module.gateCount).contains(gate) else {
                        throw ChangeError(description: "flows[\(position)].gate: one of the module's \(module.gateCount) gates")
                    }
                }
                pins.append((key, UInt16(gate)))
            }
            let adding = request.op == .addExceptions
            draft.mutations.append { runtime in
                guard let module = runtime.module(name, as: FlowSteerModule.self) else { return "module \"\(name)\" is not running yet" }
                for (key, gate) in pins {
                    if adding {
                        guard module.steering.addException(key, gate: gate) else { return "the exception table of \"\(name)\" is full" }
                    } else {
                        module.steering.removeException(key)
                    }
                }
                return nil
            }
        }
    }

    // MARK: Building

    private func makeVport(_ spec: VportSpec) throws(DataplaneError) -> Vport {
        let vport = try Vport(spec, pool: pool, nfLcore: spec.kind == .native ? nextLcore : 0)
        if spec.kind == .native { nextLcore += 1 }
        return vport
    }

    private func createVport(_ spec: VportSpec) throws(DataplaneError) {
        let vport = try makeVport(spec)
        vports[spec.name] = vport
        monitors[spec.name] = try makeMonitor(vport, excluding: [])
    }

    /// A monitor with a stamp index no running vport uses.
    private func makeMonitor(_ vport: Vport, excluding gone: [String]) throws(DataplaneError) -> VportMonitor {
        let used = Set(monitorIndexes.filter { !gone.contains($0.key) }.values)
        guard let index = (1...255).first(where: { !used.contains($0) }) else {
            throw DataplaneError(operation: "adding vport \(vport.spec.name)", code: 0, reason: "E2D monitors at most 255 vports")
        }
        monitorIndexes[vport.spec.name] = index
        return VportMonitor(vport: vport, stampOffset: stampOffset, settings: settings, ticksPerSecond: ticksPerSecond, index: index, delays: delays)
    }

    private func makeModule(_ spec: ModuleSpec, vports: [String: Vport], monitors: [String: VportMonitor]? = nil) throws(DataplaneError) -> any PacketModule {
        let monitors = monitors ?? self.monitors
        func port() throws(DataplaneError) -> (EthernetPort, VportMonitor?) {
            let name = spec.port ?? ""
            if let vport = vports[name] { return (vport.port, monitors[name]) }
            guard let port = ports[name] else { throw DataplaneError(operation: "building module \(spec.name)", code: 0, reason: "no port or vport named \(name)") }
            return (port, nil)
        }
        switch spec.type {
        case .input:
            let (port, monitor) = try port()
            return InputModule(port: port, monitor: monitor)
        case .output:
            let (port, monitor) = try port()
            return OutputModule(port: port, monitor: monitor)
        case .drop:
            return DropModule()
        case .counter:
            return CounterModule()
        case .tee:
            return TeeModule(gates: spec.gateCount)
        case .classifier:
            var rules: [(filter: BPFFilter, gate: Int)] = []
            for rule in spec.rules ?? [] {
                let filter: BPFFilter
                if let cached = filterCache[rule.filter] {
                    filter = cached
                } else {
                    filter = try BPFFilter(rule.filter)
                    filterCache[rule.filter] = filter
                }
                rules.append((filter, rule.gate))
            }
            return ClassifierModule(gates: spec.gateCount, rules: rules, defaultGate: spec.defaultGate ?? 0)
        case .tagSet:
            return TagSetModule(slot: spec.slot ?? 0, value: UInt8(spec.value ?? 1))
        case .tagMatch:
            return TagMatchModule(slot: spec.slot ?? 0, values: (spec.values ?? []).map { UInt8($0) })
        case .tagStrip:
            return TagStripModule()
        case .flowSteer:
            let fields = FlowKey.FieldSet((spec.fields ?? []).compactMap { ModuleSpec.flowFields[$0] })
            let ranges = (spec.ranges ?? []).map { FlowSteering.Range(lower: UInt16($0.lower), upper: UInt16($0.upper), gate: UInt16($0.gate)) }
            let tracking = spec.migrationAvoidance ?? false
            let steering = try FlowSteering(fields: fields, ranges: ranges, trackingCapacity: tracking ? 65_536 : 0,
                                            idleTicks: UInt64((spec.idleSeconds ?? 30) * Double(ticksPerSecond)))
            return FlowSteerModule(steering: steering, gates: spec.gateCount, tracking: tracking)
        case .flowTracker:
            return FlowTrackerModule(tracker: FlowTracker(), idleSeconds: spec.idleSeconds ?? 30, ticksPerSecond: ticksPerSecond)
        case .nshEncap:
            return NSHEncapModule(destination: ModuleSpec.macAddress(spec.destination ?? "") ?? [0x02, 0xe2, 0, 0, 0, 2],
                                  source: ModuleSpec.macAddress(spec.source ?? "") ?? [0x02, 0xe2, 0, 0, 0, 1],
                                  servicePath: UInt32(spec.servicePath ?? 0), serviceIndex: UInt8(spec.serviceIndex ?? 255))
        case .nshDecap:
            return NSHDecapModule()
        case .nshSteer:
            return NSHSteerModule(servicePaths: spec.servicePaths ?? [])
        }
    }
}
