import E2Dataplane
import E2Engine

/// What one server runs for a plan: its E2D configuration, and the NF instances with the
/// vports (or, for legacy NFs, interfaces) each port of theirs is attached to.
public struct ServerWiring: Sendable, Equatable, Codable {
    public struct Instance: Sendable, Equatable, Codable {
        public var id: String
        public var type: String
        public var api: NFDescription.API
        /// NF port name to vport name, inputs then outputs.
        public var inputs: [String: String]
        public var outputs: [String: String]
        /// vport name to the Linux interface of a legacy NF's port.
        public var interfaces: [String: String]
        /// The vports in the order of the NF description's inputs and outputs (how `e2 nf` takes them).
        public var inputOrder: [String]
        public var outputOrder: [String]
        /// The tag slot of each metadata attribute the NF reports (`safe` for IDS).
        public var attributeSlots: [String: Int]
    }

    public var server: String
    public var configuration: DataplaneConfiguration
    public var instances: [Instance]
}

/// Turns a server's part of the interconnection plan (§5.2) into an E2D configuration:
/// vports per NF port, a classification stage on every output vport, NSH tunnels to and from
/// the switch through the `uplink` port.
public struct ServerWiringCompiler: Sendable {
    public var addresses: [String: AddressPrefix]
    public var catalog: NFCatalog
    public var tags: TagAssignments
    /// The E2D port towards the switch.
    public var uplink: DataplaneConfiguration.Port
    /// Prefix of legacy NFs' interface names (at most 9 characters; a number follows).
    public var interfacePrefix: String

    public init(addresses: [String: AddressPrefix], catalog: NFCatalog, tags: TagAssignments, uplink: DataplaneConfiguration.Port, interfacePrefix: String) {
        self.addresses = addresses
        self.catalog = catalog
        self.tags = tags
        self.uplink = uplink
        self.interfacePrefix = interfacePrefix
    }

    /// A server the plan does not use: E2D with its uplink only.
    public func idle(server: String) -> ServerWiring {
        ServerWiring(server: server, configuration: DataplaneConfiguration(ports: [uplink]), instances: [])
    }

    public func compile(_ plan: InterconnectionPlan.ServerPlan) throws(WiringError) -> ServerWiring {
        let graph = GraphBuilder()
        var vports: [VportSpec] = []
        var instances: [ServerWiring.Instance] = []
        var legacyCount = 0
        let uplinkOut = graph.add(ModuleSpec(name: "to.uplink", type: .output, port: uplink.name))
        let drop = graph.add(ModuleSpec(name: "drop", type: .drop))

        // vports for every NF port; Tees are modules of E2D itself.
        var inputVport: [String: String] = [:]  // "instance/port" to vport
        for instance in plan.instances where instance.type != "Tee" {
            var slots: [String: Int] = [:]
            for (key, slot) in tags.attributes where key.hasPrefix(instance.type + ".") { slots[String(key.dropFirst(instance.type.count + 1))] = slot }
            var wiring = ServerWiring.Instance(id: instance.id, type: instance.type, api: instance.api, inputs: [:], outputs: [:], interfaces: [:],
                                               inputOrder: [], outputOrder: [], attributeSlots: slots)
            for (port, isInput) in instance.inputs.map({ ($0, true) }) + instance.outputs.map({ ($0, false) }) {
                let name = vportName(instance.id, port)
                if instance.api == .legacy {
                    legacyCount += 1
                    let interface = "\(interfacePrefix)\(legacyCount)"
                    vports.append(VportSpec(name: name, kind: .legacy, interface: interface))
                    wiring.interfaces[name] = interface
                } else {
                    vports.append(VportSpec(name: name, kind: .native))
                }
                if isInput {
                    wiring.inputs[port] = name
                    wiring.inputOrder.append(name)
                    inputVport["\(instance.id)/\(port)"] = name
                } else {
                    wiring.outputs[port] = name
                    wiring.outputOrder.append(name)
                }
            }
            instances.append(wiring)
        }

        /// The output module to an instance's input vport on this server.
        func vportTarget(_ instance: String, _ port: String) throws(WiringError) -> String {
            guard let vport = inputVport["\(instance)/\(port)"] else {
                throw WiringError("a rule goes to \(instance) port \(port), which is not on server \(plan.server)")
            }
            return graph.add(ModuleSpec(name: "to.\(vport)", type: .output, port: vport))
        }

        /// The module a next hop starts at.
        func target(_ next: InterconnectionPlan.NextHop) throws(WiringError) -> String {
            switch next.kind {
            case .drop:
                return drop
            case .vport:
                return try vportTarget(next.target ?? "?", next.vport ?? "in")
            case .tee:
                guard let target = next.target else { throw WiringError("a rule goes to a Tee without a name") }
                return "tee.\(target)"
            case .tunnel, .egress, .switchFunction:
                guard let path = next.servicePath else { throw WiringError("a \(next.kind.rawValue) hop without a service path") }
                return try graph.encapsulation("nsh.\(path)", path: path, index: next.serviceIndex ?? 255) { uplinkOut }
            }
        }

        /// The rules of a stage, first match first, after `source`; what matches none is dropped.
        func stage(_ rules: [InterconnectionPlan.Rule], after source: String, label: String) throws(WiringError) {
            if let rule = rules.first(where: { $0.addTags?.isEmpty == false }) {
                throw WiringError("rule '\(rule.filter ?? "")': filter_in tags are not wired by E2D yet")
            }
            /// A rule's next hop, after tagging the packets with their ingress group again when
            /// they come from a legacy NF (which cannot carry tags).
            func hop(_ rule: InterconnectionPlan.Rule) throws(WiringError) -> String {
                let next = try target(rule.next)
                guard let group = rule.ingressGroup, let value = tags.ingressGroups[group] else { return next }
                let retag = graph.add(ModuleSpec(name: graph.fresh("retag.\(label)"), type: .tagSet, slot: tags.ingressSlot, value: value))
                graph.link([retag], to: next)
                return retag
            }
            let unmatched = try graph.firstMatch(
                rules, after: source, label: label, drop: drop, key: { ($0.filter, $0.flowIDs, $0.hashFields) },
                translate: { text throws(WiringError) in try DataplaneFilter.translate(text, addresses: addresses, catalog: catalog, tags: tags) },
                target: hop)
            graph.link(unmatched, to: drop)
        }

        for stagePlan in plan.stages {
            let instance = plan.instances.first { $0.id == stagePlan.instance }
            if instance?.type == "Tee" {
                let tee = graph.add(ModuleSpec(name: "tee.\(stagePlan.instance)", type: .tee, gates: max(stagePlan.rules.count, 1)))
                for (gate, rule) in stagePlan.rules.enumerated() {
                    try stage([rule], after: "\(tee):\(gate)", label: "\(stagePlan.instance).\(gate)")
                }
                continue
            }
            let vport = vportName(stagePlan.instance, stagePlan.vport)
            let input = graph.add(ModuleSpec(name: "from.\(vport)", type: .input, port: vport))
            try stage(stagePlan.rules, after: input, label: vport)
        }

        // Arrivals from the switch: by service path, decapsulated, to the instance's vport.
        if !plan.arrivals.isEmpty {
            let input = graph.add(ModuleSpec(name: "from.uplink", type: .input, port: uplink.name))
            let steer = graph.add(ModuleSpec(name: "arrivals", type: .nshSteer, servicePaths: plan.arrivals.map(\.servicePath)))
            graph.link([input], to: steer)
            for (gate, arrival) in plan.arrivals.enumerated() {
                let decap = graph.add(ModuleSpec(name: "decap.\(arrival.servicePath)", type: .nshDecap))
                graph.link(["\(steer):\(gate)"], to: decap)
                graph.link(["\(decap):1"], to: drop)
                var after = "\(decap):0"
                if arrival.stripTags {
                    let strip = graph.add(ModuleSpec(name: "strip.\(arrival.servicePath)", type: .tagStrip))
                    graph.link([after], to: strip)
                    after = strip
                }
                let isTee = plan.instances.first { $0.id == arrival.instance }?.type == "Tee"
                graph.link([after], to: isTee ? "tee.\(arrival.instance)" : try vportTarget(arrival.instance, arrival.vport))
            }
            graph.link(["\(steer):\(plan.arrivals.count)"], to: drop)
        }

        let configuration = DataplaneConfiguration(ports: [uplink], vports: vports, modules: graph.modules, links: graph.links)
        if let problem = configuration.problems().first { throw WiringError("the E2D configuration for \(plan.server) is inconsistent: \(problem)") }
        return ServerWiring(server: plan.server, configuration: configuration, instances: instances)
    }
}

extension ServerWiring.Instance {
    /// The `e2 nf` kind of an NF type.
    public static func kind(of type: String) -> String {
        switch type {
        case "NAT": "nat"
        case "FW": "fw"
        case "IDS": "ids"
        case "VPN": "vpn"
        default: "forward"
        }
    }

    /// The `e2 nf` arguments of this native instance, attached to the E2D with file prefix
    /// `dataplane`, with `extra` (the type's configuration) at the end.
    public func nfArguments(dataplane: String, vports: [String: DataplaneStatistics.VportState], cpu: Int, extra: [String]) throws(WiringError) -> [String] {
        guard let first = inputOrder.first, let lcore = vports[first]?.nfLcore else { throw WiringError("\(id): no input vport") }
        var arguments = ["nf", Self.kind(of: type), "--dataplane", dataplane, "--lcore", String(lcore), "--cpu", String(cpu)]
        arguments += inputOrder.flatMap { ["--input", $0] } + outputOrder.flatMap { ["--output", $0] }
        if type == "IDS", let slot = attributeSlots["safe"] { arguments += ["--tag-slot", String(slot)] }
        return arguments + extra
    }
}
