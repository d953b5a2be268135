import E2Engine
import Foundation

/// What `e2 dataplane --config FILE` runs: ports, vports for NF instances, and a graph of
/// modules linked gate to module. A `classifiers` shorthand stands for the common case of a
/// classifier on an input port whose rules send packets to output ports or drop them.
public struct DataplaneConfiguration: Codable, Sendable, Equatable, ValidatedDocument {
    public struct Port: Codable, Sendable, Equatable {
        /// The name rules use.
        public var name: String
        /// The DPDK device (`net_pcap0`, `net_ring0`, `net_null0`, `net_tap0`, ...).
        public var device: String
        /// The device's arguments (`rx_pcap=in.pcap,tx_pcap=out.pcap`).
        public var args: String?

        public init(name: String, device: String, args: String? = nil) {
            self.name = name
            self.device = device
            self.args = args
        }
    }

    public struct Rule: Codable, Sendable, Equatable {
        /// A libpcap filter.
        public var filter: String
        /// A port name, or `drop`.
        public var output: String
    }

    public struct Classifier: Codable, Sendable, Equatable {
        public var input: String
        public var rules: [Rule]
        /// Where packets matching no rule go: a port name, or `drop`.
        public var `default`: String
    }

    public var ports: [Port]
    /// Shorthand: a classifier per input port whose rules name output ports (see `allModules`).
    public var classifiers: [Classifier]
    /// Ports for NF instances.
    public var vports: [VportSpec]
    /// The module graph, and the links between gates and modules.
    public var modules: [ModuleSpec]
    public var links: [LinkSpec]
    public var monitor: MonitorSettings?
    /// Memory for the EAL, in MiB.
    public var memoryMegabytes: Int?

    public init(ports: [Port], classifiers: [Classifier] = [], vports: [VportSpec] = [], modules: [ModuleSpec] = [],
                links: [LinkSpec] = [], monitor: MonitorSettings? = nil, memoryMegabytes: Int? = nil) {
        self.ports = ports
        self.classifiers = classifiers
        self.vports = vports
        self.modules = modules
        self.links = links
        self.monitor = monitor
        self.memoryMegabytes = memoryMegabytes
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case ports, classifiers, vports, modules, links, monitor, memoryMegabytes
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ports = try container.decodeUnlessAbsent([Port].self, forKey: .ports) ?? []
        classifiers = try container.decodeUnlessAbsent([Classifier].self, forKey: .classifiers) ?? []
        vports = try container.decodeUnlessAbsent([VportSpec].self, forKey: .vports) ?? []
        modules = try container.decodeUnlessAbsent([ModuleSpec].self, forKey: .modules) ?? []
        links = try container.decodeUnlessAbsent([LinkSpec].self, forKey: .links) ?? []
        monitor = try container.decodeUnlessAbsent(MonitorSettings.self, forKey: .monitor)
        memoryMegabytes = try container.decodeUnlessAbsent(Int.self, forKey: .memoryMegabytes)
    }

    /// The names modules may use as `port`: ports and vports.
    public var portNames: [String] { ports.map(\.name) + vports.map(\.name) }

    /// The explicit modules followed by those the `classifiers` shorthand stands for: per
    /// classifier an input module `PORT.input`, a classifier named after the port, an
    /// output module `PORT.output` per port it sends to, and one shared `drop`.
    public func allModules() -> [ModuleSpec] {
        guard !classifiers.isEmpty else { return modules }
        var expanded = modules
        var outputs: [String] = []
        var needsDrop = false
        for classifier in classifiers {
            let destinations = classifier.rules.map(\.output) + [classifier.default]
            var gateOf: [String: Int] = [:]
            for destination in destinations where gateOf[destination] == nil { gateOf[destination] = gateOf.count }
            expanded.append(ModuleSpec(name: "\(classifier.input).input", type: .input, port: classifier.input))
            // One gate per rule and one for the default, so statistics count rule by rule.
            expanded.append(ModuleSpec(name: classifier.input, type: .classifier,
                                       rules: classifier.rules.enumerated().map { .init(filter: $1.filter, gate: $0) },
                                       gates: destinations.count, defaultGate: classifier.rules.count))
            for destination in destinations {
                if destination == "drop" { needsDrop = true } else if !outputs.contains(destination) { outputs.append(destination) }
            }
        }
        for output in outputs { expanded.append(ModuleSpec(name: "\(output).output", type: .output, port: output)) }
        if needsDrop { expanded.append(ModuleSpec(name: "drop", type: .drop)) }
        return expanded
    }

    /// The explicit links followed by those of the `classifiers` shorthand.
    public func allLinks() -> [LinkSpec] {
        guard !classifiers.isEmpty else { return links }
        var expanded = links
        for classifier in classifiers {
            expanded.append(LinkSpec(from: "\(classifier.input).input", to: classifier.input))
            for (gate, destination) in (classifier.rules.map(\.output) + [classifier.default]).enumerated() {
                expanded.append(LinkSpec(from: "\(classifier.input):\(gate)", to: destination == "drop" ? "drop" : "\(destination).output"))
            }
        }
        return expanded
    }

    /// Everything inconsistent: names used twice, devices with arguments, outputs that are
    /// neither a port nor `drop`, modules without what their type needs, links to nowhere,
    /// gates linked twice, cycles.
    public func problems() -> [DescriptionError] {
        var problems: [DescriptionError] = []
        var names: Set<String> = []
        for (index, port) in ports.enumerated() {
            if port.name == "drop" || !names.insert(port.name).inserted {
                problems.append(DescriptionError(path: "$.ports[\(index)].name", message: "port name \"\(port.name)\" is reserved or used twice"))
            }
            if port.device.isEmpty || port.device.contains(",") {
                problems.append(DescriptionError(path: "$.ports[\(index)].device", message: "a DPDK device name such as net_pcap0, without arguments"))
            }
        }
        for (index, vport) in vports.enumerated() {
            problems += vport.problems(at: "$.vports[\(index)]")
            if vport.name == "drop" || !names.insert(vport.name).inserted {
                problems.append(DescriptionError(path: "$.vports[\(index)].name", message: "name \"\(vport.name)\" is reserved or already a port or vport"))
            }
        }
        var legacyInterfaces: Set<String> = []
        for (index, vport) in vports.enumerated() where vport.kind == .legacy {
            if let interface = vport.interface, !legacyInterfaces.insert(interface).inserted {
                problems.append(DescriptionError(path: "$.vports[\(index)].interface", message: "interface \"\(interface)\" is used by another vport"))
            }
        }
        var inputs: Set<String> = []
        for (index, classifier) in classifiers.enumerated() {
            if !names.contains(classifier.input) {
                problems.append(DescriptionError(path: "$.classifiers[\(index)].input", message: "no port named \"\(classifier.input)\""))
            } else if !inputs.insert(classifier.input).inserted {
                problems.append(DescriptionError(path: "$.classifiers[\(index)].input", message: "port \"\(classifier.input)\" already has a classifier"))
            }
            for (position, rule) in classifier.rules.enumerated() where rule.output != "drop" && !names.contains(rule.output) {
                problems.append(DescriptionError(path: "$.classifiers[\(index)].rules[\(position)].output", message: "no port named \"\(rule.output)\" (or use drop)"))
            }
            if classifier.default != "drop" && !names.contains(classifier.default) {
                problems.append(DescriptionError(path: "$.classifiers[\(index)].default", message: "no port named \"\(classifier.default)\" (or use drop)"))
            }
        }
        guard problems.isEmpty else { return problems }
        return problems + graphProblems(portNames: names)
    }

    /// Problems of the module graph as a whole (after the shorthand is expanded).
    func graphProblems(portNames: Set<String>) -> [DescriptionError] {
        var problems: [DescriptionError] = []
        let all = allModules()
        var byName: [String: ModuleSpec] = [:]
        var polled: [String: String] = [:]
        for (index, module) in all.enumerated() {
            let path = index < modules.count ? "$.modules[\(index)]" : "$.classifiers (module \(module.name))"
            problems += module.problems(at: path)
            if byName.updateValue(module, forKey: module.name) != nil {
                problems.append(DescriptionError(path: "\(path).name", message: "module name \"\(module.name)\" is used twice"))
            }
            if let port = module.port, !portNames.contains(port) {
                problems.append(DescriptionError(path: "\(path).port", message: "no port or vport named \"\(port)\""))
            }
            if module.type == .input, let port = module.port, let other = polled.updateValue(module.name, forKey: port) {
                problems.append(DescriptionError(path: "\(path).port", message: "port \"\(port)\" is already read by module \"\(other)\""))
            }
        }
        var linked: Set<String> = []
        var successors: [String: [String]] = [:]
        for (index, link) in allLinks().enumerated() {
            let path = index < links.count ? "$.links[\(index)]" : "$.classifiers (link \(link.from) -> \(link.to))"
            guard let source = link.source else {
                problems.append(DescriptionError(path: "\(path).from", message: "\"\(link.from)\" is not MODULE or MODULE:GATE"))
                continue
            }
            guard let from = byName[source.module] else {
                problems.append(DescriptionError(path: "\(path).from", message: "no module named \"\(source.module)\""))
                continue
            }
            if source.gate >= from.gateCount {
                problems.append(DescriptionError(path: "\(path).from", message: "module \"\(source.module)\" has \(from.gateCount) gates; there is no gate \(source.gate)"))
            }
            if !linked.insert("\(source.module):\(source.gate)").inserted {
                problems.append(DescriptionError(path: "\(path).from", message: "gate \(source.module):\(source.gate) is already linked"))
            }
            guard let to = byName[link.to] else {
                problems.append(DescriptionError(path: "\(path).to", message: "no module named \"\(link.to)\""))
                continue
            }
            if to.type == .input { problems.append(DescriptionError(path: "\(path).to", message: "module \"\(link.to)\" is an input; nothing links into it")) }
            successors[source.module, default: []].append(link.to)
        }
        if problems.isEmpty, let cycle = Self.cycle(in: successors) {
            problems.append(DescriptionError(path: "$.links", message: "the links make a cycle: \(cycle.joined(separator: " -> "))"))
        }
        return problems
    }

    /// A cycle among the links, as module names, or nil.
    static func cycle(in successors: [String: [String]]) -> [String]? {
        var state: [String: Int] = [:]  // 1 on the path, 2 done
        var path: [String] = []
        func visit(_ name: String) -> [String]? {
            state[name] = 1
            path.append(name)
            for next in successors[name] ?? [] {
                if state[next] == 1 { return Array(path[path.firstIndex(of: next)!...]) + [next] }
                if state[next] == nil, let found = visit(next) { return found }
            }
            path.removeLast()
            state[name] = 2
            return nil
        }
        for name in successors.keys.sorted() where state[name] == nil {
            if let found = visit(name) { return found }
        }
        return nil
    }
}
