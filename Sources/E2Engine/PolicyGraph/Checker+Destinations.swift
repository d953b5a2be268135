/// The pGraph merge and the one-destination rule.
extension Checker {
    /// Merges the edges into the pGraph, limiting overlapping edges of different pipelets to
    /// their traffic classes, and reports packets with two destinations or none.
    mutating func destinations(_ edges: [ResolvedEdge], pipelets: [Pipelet]) -> PolicyGraph {
        let universe = compiler.universe
        // A pipelet's traffic class: the port groups its traffic enters through.
        let trafficClasses: [Int: Set<String>] = Dictionary(grouping: edges, by: \.pipelet).mapValues { pipeletEdges in
            Set(pipeletEdges.compactMap { edge -> String? in
                if case .port = role(of: edge.edge.source.name) { return edge.edge.source.name }
                return nil
            })
        }
        var limitedTo: [Int: Set<String>] = [:]  // edge index -> ingress groups
        var spaces = edges.map(\.space)

        let bySource = Dictionary(grouping: edges.indices, by: { edges[$0].edge.source.name })
        for source in bySource.keys.sorted() where !unresolvedSources.contains(source) {
            let outgoing = bySource[source]!
            guard let sourceRole = role(of: source) else { continue }
            if case .tee = sourceRole { continue }  // a Tee copies to every edge
            let domain: HeaderSpace = if case .port = sourceRole {
                .constraint(.ingress, .symbols(SymbolSet([source])), in: universe)
            } else {
                reachingTraffic(source, edges: edges, trafficClasses: trafficClasses)
            }
            for index in outgoing { spaces[index] = spaces[index].intersection(domain) }

            // Overlaps between pipelets: limit both edges to their pipelets' traffic classes.
            for (position, a) in outgoing.enumerated() {
                for b in outgoing[(position + 1)...] where edges[a].pipelet != edges[b].pipelet && !sameTarget(edges[a], edges[b]) {
                    guard !spaces[a].isDisjoint(with: spaces[b]) else { continue }
                    for index in [a, b] {
                        guard let groups = trafficClasses[edges[index].pipelet], !groups.isEmpty else { continue }
                        limitedTo[index, default: []].formUnion(groups)
                    }
                }
            }
            for index in outgoing {
                if let groups = limitedTo[index] {
                    spaces[index] = spaces[index].intersection(.constraint(.ingress, .symbols(SymbolSet(groups)), in: universe))
                }
            }

            // Whatever still overlaps has two destinations.
            for (position, a) in outgoing.enumerated() {
                for b in outgoing[(position + 1)...] where !sameTarget(edges[a], edges[b]) {
                    guard !spaces[a].isDisjoint(with: spaces[b]) else { continue }
                    let both = spaces[a].intersection(spaces[b])
                    let first = edges[a].edge, second = edges[b].edge
                    let resolution = edges[a].pipelet == edges[b].pipelet
                        ? "both edges are in one pipelet"
                        : "limiting them to their pipelets' traffic classes did not separate them"
                    report(PolicyDiagnostic(
                        .ambiguousDestination, at: second.location,
                        "a packet leaving '\(source)' matches both \(source) -> \(first.destination.name) (\(first.location.line):\(first.location.column)) and \(source) -> \(second.destination.name) (\(second.location.line):\(second.location.column)); \(resolution)",
                        node: source, edges: [first.location, second.location], witness: both.witness()))
                }
            }

            // Whatever no edge takes has no destination.
            var uncovered = domain
            for index in outgoing { uncovered = uncovered.subtracting(spaces[index]) }
            if !uncovered.isEmpty {
                let locations = outgoing.map { edges[$0].edge.location }
                report(PolicyDiagnostic(
                    .missingDestination, at: declarations[source]?.location ?? locations[0],
                    "some packets leaving '\(source)' match no edge: add an edge (for example to Drop) for them",
                    node: source, edges: locations, witness: uncovered.witness()))
            }
        }

        // NFs that receive traffic must send it somewhere.
        let sources = Set(bySource.keys)
        var receivers: [String: SourceLocation] = [:]
        for edge in edges where receivers[edge.edge.destination.name] == nil { receivers[edge.edge.destination.name] = edge.edge.location }
        for (name, location) in receivers.sorted(by: { $0.key < $1.key }) where !sources.contains(name) && !unresolvedSources.contains(name) {
            if case .nf = role(of: name) {
                report(PolicyDiagnostic(.missingDestination, at: location, "'\(name)' receives traffic but no edge leaves it",
                                        node: name, edges: [location], witness: HeaderSpace.everything(in: universe).witness()))
            }
        }
        for name in order where receivers[name] == nil && !sources.contains(name) && !unresolvedSources.contains(name) {
            if case .nf = role(of: name), let declaration = declarations[name] {
                report(PolicyDiagnostic(.undefinedName, at: declaration.location, "'\(name)' is declared but no edge uses it", severity: .warning))
            }
        }
        return graph(edges, limitedTo: limitedTo)
    }

    /// The traffic that can reach an NF: the traffic classes of the pipelets it appears in,
    /// or all traffic when one of them has no port to enter through.
    private func reachingTraffic(_ node: String, edges: [ResolvedEdge], trafficClasses: [Int: Set<String>]) -> HeaderSpace {
        let universe = compiler.universe
        var groups: Set<String> = []
        for edge in edges where edge.edge.source.name == node || edge.edge.destination.name == node {
            guard let entry = trafficClasses[edge.pipelet], !entry.isEmpty else { return .everything(in: universe) }
            groups.formUnion(entry)
        }
        return .constraint(.ingress, .symbols(SymbolSet(groups)), in: universe)
    }

    /// Two edges to the same node and input are one destination, even from two pipelets.
    private func sameTarget(_ a: ResolvedEdge, _ b: ResolvedEdge) -> Bool {
        a.edge.destination.name == b.edge.destination.name && a.input == b.input
    }

    private func graph(_ edges: [ResolvedEdge], limitedTo: [Int: Set<String>]) -> PolicyGraph {
        var nodes: [PolicyGraph.Node] = []
        for name in order {
            switch declarations[name]!.kind {
            case .instance(let type):
                nodes.append(.init(name: name, kind: type == "Tee" ? .tee : .nf, type: type == "Tee" ? nil : type))
            case .portGroup(let first, let last):
                nodes.append(.init(name: name, kind: .port, ports: Array(first...max(first, last))))
            case .address:
                break
            }
        }
        if edges.contains(where: { $0.edge.destination.name == "Drop" }) { nodes.append(.init(name: "Drop", kind: .drop)) }
        let graphEdges = edges.enumerated().map { index, resolved -> PolicyGraph.Edge in
            let edge = resolved.edge
            let groups = limitedTo[index].map { $0.sorted() }
            var final = edge.filterText
            if let groups {
                let ingress = groups.count == 1 ? "ingress \(groups[0])" : "(" + groups.map { "ingress \($0)" }.joined(separator: " or ") + ")"
                final = edge.filterText.map { "\(ingress) and (\($0))" } ?? ingress
            }
            return PolicyGraph.Edge(
                from: edge.source.name, to: edge.destination.name, filter: edge.filterText, ingress: groups, finalFilter: final,
                bandwidthBps: edge.bandwidth, filterIn: edge.filterIn?.name, input: resolved.input, pipelet: resolved.pipelet,
                file: edge.location.file, line: edge.location.line, column: edge.location.column)
        }
        return PolicyGraph(nodes: nodes, edges: graphEdges)
    }
}
