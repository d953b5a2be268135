extension InterconnectionPlan {
    /// Wires a placed iGraph: vports from the NF descriptions, one classification stage per
    /// instance output vport, NSH service paths for every instance input reached across the
    /// switch and every external exit, and the switch rules that steer ingress traffic.
    public static func build(
        _ pgraph: PolicyGraph, _ igraph: InstanceGraph, placement: Placement, catalog: NFCatalog, hardware: HardwareDescription
    ) throws(PlanError) -> InterconnectionPlan {
        let nodes = Dictionary(uniqueKeysWithValues: igraph.nodes.map { ($0.id, $0) })
        let servers = Dictionary(uniqueKeysWithValues: hardware.servers.map { ($0.name, $0) })
        let portsOfGroup = Dictionary(uniqueKeysWithValues: pgraph.nodes.filter { $0.kind == .port }.map { ($0.name, $0.ports ?? []) })

        func ports(of node: InstanceGraph.Node) -> InstancePorts {
            if node.kind == .tee { return InstancePorts(id: node.id, type: "Tee", api: .native, inputs: ["in"], outputs: ["out"]) }
            let nf = node.type.flatMap { catalog[$0] }
            return InstancePorts(id: node.id, type: node.type ?? "", api: nf?.api ?? .native, inputs: nf?.inputs ?? ["in"], outputs: nf?.outputs ?? ["out"])
        }

        // Service paths, numbered in a fixed order so plans are deterministic.
        var paths: [String: Int] = [:]
        func path(_ key: String) -> Int {
            if let known = paths[key] { return known }
            paths[key] = paths.count + 1
            return paths.count
        }
        var arrivals: [String: [Arrival]] = [:]
        func arrive(at target: InstanceGraph.Node, vport: String) -> Int {
            let spi = path("\(target.id)/\(vport)")
            let server = placement.servers[target.id]!
            if !(arrivals[server]?.contains { $0.servicePath == spi } ?? false) {
                let legacy = target.type.flatMap { catalog[$0] }?.api == .legacy
                arrivals[server, default: []].append(Arrival(servicePath: spi, instance: target.id, vport: vport, stripTags: legacy))
            }
            return spi
        }

        func hop(from source: String?, to edge: InstanceGraph.Edge) -> NextHop {
            guard let target = nodes[edge.to] else { return NextHop(kind: .drop) }
            switch target.kind {
            case .drop: return NextHop(kind: .drop)
            case .offloaded: return NextHop(kind: .switchFunction, target: target.id, servicePath: path("switch/\(target.id)"), serviceIndex: 255)
            case .port: return NextHop(kind: .egress, target: target.id, servicePath: path("egress/\(target.id)"), serviceIndex: 255)
            case .instance, .tee:
                let vport = pgraph.edges[edge.pgraphEdge].input ?? ports(of: target).inputs.first ?? "in"
                if let source, placement.servers[source] == placement.servers[target.id] {
                    return NextHop(kind: target.kind == .tee ? .tee : .vport, target: target.id, vport: vport)
                }
                return NextHop(kind: .tunnel, target: target.id, vport: vport, servicePath: arrive(at: target, vport: vport), serviceIndex: 255)
            }
        }

        // The port groups each pipelet's traffic enters by.
        var entryGroups: [Int: Set<String>] = [:]
        for pedge in pgraph.edges where portsOfGroup[pedge.from] != nil { entryGroups[pedge.pipelet, default: []].insert(pedge.from) }

        func rule(for edge: InstanceGraph.Edge, from source: String?) -> Rule {
            let pedge = pgraph.edges[edge.pgraphEdge]
            var tags: [String]?
            if let filterIn = pedge.filterIn, let target = nodes[edge.to], let nf = target.type.flatMap({ catalog[$0] }),
               case .metadata = nf.inputAttributes[filterIn] {
                tags = ["\(nf.name).\(filterIn)"]
            }
            var restored: String?
            if let source, nodes[source]?.type.flatMap({ catalog[$0] })?.api == .legacy {
                let groups = entryGroups[pedge.pipelet] ?? []
                if groups.count == 1 { restored = groups.first }
            }
            return Rule(filter: pedge.finalFilter, flowIDs: edge.split.map { [$0.lower, $0.upper] }, hashFields: edge.split?.fields,
                        addTags: tags, next: hop(from: source, to: edge), ingressGroup: restored)
        }

        // Per server: instances and the stages on their outputs.
        var plans: [ServerPlan] = hardware.servers.map { ServerPlan(server: $0.name, switchPort: $0.switchPort, instances: [], stages: [], arrivals: []) }
        let serverIndex = Dictionary(uniqueKeysWithValues: hardware.servers.enumerated().map { ($1.name, $0) })
        let outgoing = Dictionary(grouping: igraph.edges, by: \.from)
        for node in igraph.nodes where node.kind == .instance || node.kind == .tee {
            guard let server = placement.servers[node.id], let position = serverIndex[server] else { continue }
            let described = ports(of: node)
            plans[position].instances.append(described)
            let nf = node.type.flatMap { catalog[$0] }
            let steering = HeaderField.allCases.filter { !(nf?.mangles ?? []).contains($0) }
            for vport in described.outputs {
                let rules = (outgoing[node.id] ?? []).filter { edge in
                    Self.output(vport, of: nf, carries: pgraph.edges[edge.pgraphEdge].finalFilter)
                }.map { rule(for: $0, from: node.id) }
                plans[position].stages.append(Stage(instance: node.id, vport: vport, steeringFields: steering, rules: rules))
            }
        }

        // Offloaded NFs: the switch applies their action, then classifies their output.
        var switchStages: [Stage] = []
        var rules: [SwitchRule] = []
        for node in igraph.nodes where node.kind == .offloaded {
            let action = node.type.flatMap { catalog[$0] }?.switchAction
            switchStages.append(Stage(instance: node.id, vport: "out", steeringFields: HeaderField.allCases,
                                      rules: (outgoing[node.id] ?? []).map { rule(for: $0, from: nil) }))
            rules.append(SwitchRule(match: .servicePath, ports: nil, filter: nil, flowIDs: nil, hashFields: nil, servicePath: path("switch/\(node.id)"),
                                    encapsulate: nil, decapsulate: true, action: action, outputPorts: [], entries: 1))
        }

        // The switch: ingress from external ports to the servers, and exits to external ports.
        for edge in igraph.edges {
            guard let source = nodes[edge.from], source.kind == .port, let target = nodes[edge.to] else { continue }
            let groupPorts = portsOfGroup[source.id] ?? []
            let filter = pgraph.edges[edge.pgraphEdge].finalFilter
            if target.kind == .offloaded {
                rules.append(SwitchRule(match: .ingress, ports: groupPorts, filter: filter, flowIDs: nil, hashFields: nil, servicePath: nil,
                                        encapsulate: nil, decapsulate: false, action: target.type.flatMap { catalog[$0] }?.switchAction,
                                        outputPorts: [], entries: max(1, groupPorts.count)))
                continue
            }
            guard target.kind == .instance || target.kind == .tee, let server = placement.servers[target.id].flatMap({ servers[$0] }) else {
                continue  // to Drop (the switch drops) or straight out again: no server involved
            }
            let next = hop(from: nil, to: edge)
            rules.append(SwitchRule(match: .ingress, ports: groupPorts, filter: filter,
                                    flowIDs: edge.split.map { [$0.lower, $0.upper] }, hashFields: edge.split?.fields, servicePath: nil,
                                    encapsulate: next.servicePath, decapsulate: false, action: nil, outputPorts: [server.switchPort], entries: max(1, groupPorts.count)))
        }
        for (key, spi) in paths.sorted(by: { $0.value < $1.value }) where key.hasPrefix("egress/") {
            let group = String(key.dropFirst("egress/".count))
            rules.append(SwitchRule(match: .servicePath, ports: nil, filter: nil, flowIDs: nil, hashFields: nil, servicePath: spi,
                                    encapsulate: nil, decapsulate: true, action: nil, outputPorts: portsOfGroup[group] ?? [], entries: 1))
        }
        // Tunnels between servers cross the switch on their service path too.
        for (key, spi) in paths.sorted(by: { $0.value < $1.value }) where !key.hasPrefix("egress/") && !key.hasPrefix("switch/") {
            let instance = String(key.split(separator: "/").first ?? "")
            guard let server = placement.servers[instance].flatMap({ servers[$0] }) else { continue }
            rules.append(SwitchRule(match: .servicePath, ports: nil, filter: nil, flowIDs: nil, hashFields: nil, servicePath: spi,
                                    encapsulate: nil, decapsulate: false, action: nil, outputPorts: [server.switchPort], entries: 1))
        }
        for (server, list) in arrivals { if let position = serverIndex[server] { plans[position].arrivals = list.sorted { $0.servicePath < $1.servicePath } } }

        let used = rules.map(\.entries).reduce(0, +) + switchStages.map(\.rules.count).reduce(0, +)
        guard used <= hardware.switch.flowTableEntries else {
            throw PlanError(.notEnoughFlowEntries, "the switch needs \(used) flow-table entries and has \(hardware.switch.flowTableEntries): \(used - hardware.switch.flowTableEntries) short")
        }
        return InterconnectionPlan(servers: plans.filter { !$0.instances.isEmpty }, switchStages: switchStages, switchRules: rules,
                                   flowTableEntriesUsed: used, flowTableEntries: hardware.switch.flowTableEntries)
    }

    /// Whether output `vport` of an NF can carry an edge with `filter`: an attribute with the
    /// port method that the filter fixes as a top-level term (`FW.safe`, `!FW.safe`) selects
    /// the vports of those values; any other filter is classified on every output.
    static func output(_ vport: String, of nf: NFDescription?, carries filter: String?) -> Bool {
        guard let nf, let filter, let parsed = try? PolicyParser.parseFilter(filter) else { return true }
        for term in FilterCompiler.conjuncts(of: parsed) {
            var negated = false
            var primitive: FilterPrimitive?
            switch term {
            case .primitive(let value, _): primitive = value
            case .not(.primitive(let value, _), _): primitive = value; negated = true
            default: break
            }
            guard case .attribute(let type, let name, let relation, let value)? = primitive, type == nf.name,
                  case .port(let valuesToOutputs)? = nf.attributes[name], let ownValue = valuesToOutputs.first(where: { $0.value == vport })?.key
            else { continue }
            let wantsEqual = (relation == "==") != negated
            if (ownValue == value) != wantsEqual { return false }
        }
        return true
    }
}
