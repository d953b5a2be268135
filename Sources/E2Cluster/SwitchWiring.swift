import E2Dataplane
import E2Engine

/// Turns the switch's part of the interconnection plan into the configuration of `e2 switch`,
/// a DPDK stand-in for the rack switch (§2.2) that runs on E2D's module graph:
///
/// - traffic entering an external port is tagged with its port group, matched against the
///   ingress rules of that port (header filter, flow-ID range), NSH-encapsulated on the rule's
///   service path and sent to the server's port;
/// - NSH traffic from a server is steered by service path: to another server unchanged (a
///   tunnel), or decapsulated, stripped of tags and sent out of the group's external ports.
///
/// What matches no rule is dropped, as a switch with a default drop rule would.
public struct SwitchWiringCompiler: Sendable {
    public var context: PolicyContext
    public var catalog: NFCatalog
    public var tags: TagAssignments
    /// The device of every switch port number the plan uses.
    public var ports: [Int: DataplaneConfiguration.Port]

    public init(context: PolicyContext, catalog: NFCatalog, tags: TagAssignments, ports: [Int: DataplaneConfiguration.Port]) {
        self.context = context
        self.catalog = catalog
        self.tags = tags
        self.ports = ports
    }

    public func compile(_ plan: InterconnectionPlan) throws(WiringError) -> DataplaneConfiguration {
        guard plan.switchStages.isEmpty, !plan.switchRules.contains(where: { $0.action != nil }) else {
            throw WiringError("the plan offloads NFs to the switch; e2 switch has no switch functions (set the hardware's switch functions to none)")
        }
        let graph = GraphBuilder()
        let drop = graph.add(ModuleSpec(name: "drop", type: .drop))
        func portName(_ number: Int) throws(WiringError) -> String {
            guard let port = ports[number] else { throw WiringError("switch port \(number) has no device") }
            return port.name
        }
        func output(_ number: Int) throws(WiringError) -> String {
            graph.add(ModuleSpec(name: "out.\(number)", type: .output, port: try portName(number)))
        }
        let groupOf = Dictionary(context.portGroups.flatMap { group, numbers in numbers.map { ($0, group) } }, uniquingKeysWith: { first, _ in first })

        // Ingress: per external port, its group tag, then its rules in order.
        let ingress = plan.switchRules.filter { $0.match == .ingress }
        let externalPorts = Set(ingress.flatMap { $0.ports ?? [] }).union(plan.switchRules.filter { $0.match == .servicePath && $0.decapsulate }.flatMap(\.outputPorts))
        for number in externalPorts.sorted() {
            let input = graph.add(ModuleSpec(name: "in.\(number)", type: .input, port: try portName(number)))
            var pending = [input]
            if let group = groupOf[number], let value = tags.ingressGroups[group] {
                let tag = graph.add(ModuleSpec(name: "ingress.\(number)", type: .tagSet, slot: tags.ingressSlot, value: value))
                graph.link(pending, to: tag)
                pending = [tag]
            }
            let rules = ingress.filter { $0.ports?.contains(number) ?? false }
            func encapsulate(_ rule: InterconnectionPlan.SwitchRule) throws(WiringError) -> String {
                guard let path = rule.encapsulate, let server = rule.outputPorts.first else { throw WiringError("an ingress rule without a service path or server port") }
                return try graph.encapsulation("enc.\(path)", path: path, index: 255) { () throws(WiringError) in try output(server) }
            }
            let unmatched = try graph.firstMatch(
                rules, after: pending[0], label: "\(number)", drop: drop, key: { ($0.filter, $0.flowIDs, $0.hashFields) },
                translate: { text throws(WiringError) in try DataplaneFilter.translate(text, addresses: context.addresses, catalog: catalog, tags: tags) },
                target: encapsulate)
            graph.link(unmatched, to: drop)
        }

        // From servers: by service path, forwarded or decapsulated to external ports.
        let paths = plan.switchRules.filter { $0.match == .servicePath }
        let serverPorts = Set(plan.servers.map(\.switchPort))
        for number in serverPorts.sorted() {
            let input = graph.add(ModuleSpec(name: "in.\(number)", type: .input, port: try portName(number)))
            guard !paths.isEmpty else {
                graph.link([input], to: drop)
                continue
            }
            let steer = graph.add(ModuleSpec(name: "paths.\(number)", type: .nshSteer, servicePaths: paths.compactMap(\.servicePath)))
            graph.link([input], to: steer)
            graph.link(["\(steer):\(paths.count)"], to: drop)
            for (gate, rule) in paths.enumerated() {
                guard let path = rule.servicePath else { continue }
                if !rule.decapsulate {
                    guard let server = rule.outputPorts.first else { throw WiringError("service path \(path) goes nowhere") }
                    graph.link(["\(steer):\(gate)"], to: try output(server))
                    continue
                }
                // Decapsulation is shared by every server port: one chain per service path.
                let decap = "exit.\(path)"
                if !graph.has(decap) {
                    graph.add(ModuleSpec(name: decap, type: .nshDecap))
                    let strip = graph.add(ModuleSpec(name: "strip.\(path)", type: .tagStrip))
                    graph.link(["\(decap):0"], to: strip)
                    graph.link(["\(decap):1"], to: drop)
                    let exits = rule.outputPorts
                    if exits.count <= 1 {
                        graph.link([strip], to: try exits.first.map { number throws(WiringError) in try output(number) } ?? drop)
                    } else {
                        // A group of external ports: flows spread over them by their 5-tuple.
                        let share = 65536 / exits.count
                        let ranges = exits.indices.map { (lower: $0 * share, upper: $0 == exits.count - 1 ? 65535 : ($0 + 1) * share - 1) }
                        let spread = graph.steer(ranges, fields: HeaderField.allCases, label: "exit.\(path)")
                        graph.link([strip], to: spread.name)
                        for (position, number) in exits.enumerated() { graph.link(["\(spread.name):\(position)"], to: try output(number)) }
                        graph.link(["\(spread.name):\(spread.uncovered)"], to: drop)
                    }
                }
                graph.link(["\(steer):\(gate)"], to: decap)
            }
        }

        let used = Set(graph.modules.compactMap(\.port))
        let configuration = DataplaneConfiguration(ports: ports.values.filter { used.contains($0.name) }.sorted { $0.name < $1.name },
                                                   modules: graph.modules, links: graph.links)
        if let problem = configuration.problems().first { throw WiringError("the switch configuration is inconsistent: \(problem)") }
        return configuration
    }
}
