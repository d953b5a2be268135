/// How instances are put on servers: E2's heuristic or one of the paper's two strawmen (§7.2).
public enum PlacementStrategy: String, Sendable, Codable, CaseIterable {
    /// Depth-first bin-packing, then Kernighan-Lin-style swaps that cut cross-server traffic.
    case e2
    /// Depth-first bin-packing alone ("Packing").
    case packing
    /// Each instance on a random server with room ("Random"), from a seed.
    case random
}

/// Which server each placeable node (NF instance or Tee) runs on.
public struct Placement: Sendable, Equatable, Codable {
    /// Node id to server name.
    public var servers: [String: String]

    public init(servers: [String: String]) {
        self.servers = servers
    }
}

/// Instance placement (§5.1 step 4) and incremental placement of new instances.
public enum Placer {
    /// With `requireFit: false` a placement that overloads server links is returned rather than
    /// refused (benchmarks measure how far such a placement carries).
    public static func place(_ graph: InstanceGraph, hardware: HardwareDescription, strategy: PlacementStrategy, seed: UInt64 = 1,
                             requireFit: Bool = true) throws(PlanError) -> Placement {
        let model = TrafficModel(graph, hardware: hardware)
        try checkCores(model)
        var assignment: [Int]
        switch strategy {
        case .packing: assignment = try pack(model, graph: graph, soft: !requireFit)
        case .random: assignment = try randomly(model, seed: seed, soft: !requireFit)
        case .e2: assignment = improve(try pack(model, graph: graph, soft: true), model)
        }
        if requireFit { try checkLinks(assignment, model) }
        return Placement(servers: Dictionary(uniqueKeysWithValues: model.placeable.enumerated().map { ($1, hardware.servers[assignment[$0]].name) }))
    }

    /// Places the nodes of `graph` that `existing` lacks, each on the server where it sends and
    /// receives the most traffic to already placed neighbours, never moving an existing one.
    /// O(n) per new instance: it looks only at its neighbours and the servers.
    public static func placeIncrementally(_ graph: InstanceGraph, hardware: HardwareDescription, existing: Placement) throws(PlanError) -> Placement {
        let model = TrafficModel(graph, hardware: hardware)
        let serverIndex = Dictionary(uniqueKeysWithValues: hardware.servers.enumerated().map { ($1.name, $0) })
        var assignment = model.placeable.map { existing.servers[$0].flatMap { serverIndex[$0] } ?? -1 }
        var usage = model.usage(assignment)
        for node in model.placeable.indices where assignment[node] < 0 {
            var affinity = [Double](repeating: 0, count: hardware.servers.count)
            for link in model.adjacency[node] where link.neighbour >= 0 && assignment[link.neighbour] >= 0 {
                affinity[assignment[link.neighbour]] += link.gbps
            }
            let candidates = hardware.servers.indices.sorted { affinity[$0] != affinity[$1] ? affinity[$0] > affinity[$1] : $0 < $1 }
            var placed = false
            for server in candidates where usage[server].cores < hardware.servers[server].nfCores {
                assignment[node] = server
                let trial = model.usage(assignment)
                if fitsEverywhere(trial, before: usage, model) {
                    usage = trial
                    placed = true
                    break
                }
                assignment[node] = -1
            }
            if !placed { throw noRoom(for: node, model, assignment) }
        }
        return Placement(servers: Dictionary(uniqueKeysWithValues: model.placeable.enumerated().map { ($1, hardware.servers[assignment[$0]].name) }))
    }

    // MARK: Strategies

    static func checkCores(_ model: TrafficModel) throws(PlanError) {
        let available = model.servers.map(\.nfCores).reduce(0, +)
        let total = model.servers.map(\.cores).reduce(0, +)
        guard model.placeable.count <= available else {
            throw PlanError(.notEnoughCores, "the iGraph has \(model.placeable.count) instances (one core each) but the servers have \(available) cores for NFs (\(total) less \(total - available) for dataplanes): \(model.placeable.count - available) short")
        }
    }

    /// The placeable nodes in depth-first order from the ports, then any left over.
    static func depthFirstOrder(_ model: TrafficModel, graph: InstanceGraph) -> [Int] {
        var successors: [String: [String]] = [:]
        for edge in graph.edges { successors[edge.from, default: []].append(edge.to) }
        var seen: Set<String> = []
        var order: [Int] = []
        func visit(_ id: String) {
            guard seen.insert(id).inserted else { return }
            if let index = model.index[id] { order.append(index) }
            for next in successors[id] ?? [] { visit(next) }
        }
        for node in graph.nodes where node.kind == .port { visit(node.id) }
        for id in model.placeable { visit(id) }
        return order
    }

    /// Packing: fill servers one after another in depth-first order.
    /// Packing: fill servers one after another in depth-first order. With `soft`, an instance
    /// that fits nowhere goes where it overloads least (a start for the local search to repair)
    /// instead of failing.
    static func pack(_ model: TrafficModel, graph: InstanceGraph, soft: Bool = false) throws(PlanError) -> [Int] {
        var assignment = [Int](repeating: -1, count: model.placeable.count)
        var server = 0
        for node in depthFirstOrder(model, graph: graph) {
            var placed = false
            let before = model.usage(assignment)
            for candidate in server..<model.servers.count {
                assignment[node] = candidate
                if fitsEverywhere(model.usage(assignment), before: before, model) {
                    server = candidate
                    placed = true
                    break
                }
            }
            if !placed && soft {
                let withCores = model.servers.indices.filter { before[$0].cores < model.servers[$0].nfCores }
                let overloads = withCores.map { candidate -> Double in
                    assignment[node] = candidate
                    let after = model.usage(assignment)
                    return after.indices.map { model.overload(after[$0], on: $0) }.reduce(0, +)
                }
                if let pick = withCores.indices.min(by: { overloads[$0] < overloads[$1] }) {
                    assignment[node] = withCores[pick]
                    placed = true
                }
            }
            if !placed {
                assignment[node] = -1
                throw noRoom(for: node, model, assignment)
            }
        }
        return assignment
    }

    static func randomly(_ model: TrafficModel, seed: UInt64, soft: Bool = false) throws(PlanError) -> [Int] {
        var state = seed
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        var assignment = [Int](repeating: -1, count: model.placeable.count)
        for node in model.placeable.indices {
            var candidates = Array(model.servers.indices)
            var placed = false
            while !candidates.isEmpty {
                let pick = candidates.remove(at: next(candidates.count))
                let before = model.usage(assignment)
                assignment[node] = pick
                if fitsEverywhere(model.usage(assignment), before: before, model) || (soft && before[pick].cores < model.servers[pick].nfCores) {
                    placed = true
                    break
                }
            }
            if !placed {
                assignment[node] = -1
                throw noRoom(for: node, model, assignment)
            }
        }
        return assignment
    }

    /// Per-server use: cores, and Gbps in and out of its link.
    typealias Usage = [(cores: Int, inGbps: Double, outGbps: Double)]

    /// Moves `node` to `target`, updating `usage` from the node's own links only (O(degree)).
    static func move(_ node: Int, to target: Int, _ assignment: inout [Int], _ usage: inout Usage, _ model: TrafficModel) {
        let source = assignment[node]
        func account(_ server: Int, _ sign: Double) {
            guard server >= 0 else { return }
            usage[server].cores += sign > 0 ? 1 : -1
            for link in model.adjacency[node] {
                let other = link.neighbour >= 0 ? assignment[link.neighbour] : -1
                if link.neighbour >= 0 && other < 0 { continue }  // not placed yet: no traffic decided
                guard other != server else { continue }
                if link.outgoing { usage[server].outGbps += sign * link.gbps } else { usage[server].inGbps += sign * link.gbps }
                if other >= 0 {
                    if link.outgoing { usage[other].inGbps += sign * link.gbps } else { usage[other].outGbps += sign * link.gbps }
                }
            }
        }
        account(source, -1)
        assignment[node] = target
        account(target, 1)
    }

    /// The use of the two servers involved after `a` and `b` swap servers (or, with `b` < 0,
    /// after `a` moves to `target`), from their links alone: nothing is copied or allocated.
    static func swapEffect(_ a: Int, _ b: Int, _ assignment: [Int], _ usage: Usage, _ model: TrafficModel, target: Int = -1)
        -> ((cores: Int, inGbps: Double, outGbps: Double), (cores: Int, inGbps: Double, outGbps: Double)) {
        let first = assignment[a]
        let second = b >= 0 ? assignment[b] : target
        var one = usage[first], two = usage[second]
        if b < 0 { one.cores -= 1; two.cores += 1 }
        func add(_ server: Int, outgoing: Bool, _ gbps: Double) {
            if server == first {
                if outgoing { one.outGbps += gbps } else { one.inGbps += gbps }
            } else if server == second {
                if outgoing { two.outGbps += gbps } else { two.inGbps += gbps }
            }
        }
        // Moves `node` from `from` to `to`; `aMoved` tells where a is once it has moved.
        func shift(_ node: Int, from: Int, to: Int, aMoved: Bool) {
            for link in model.adjacency[node] {
                var other = -1
                if link.neighbour >= 0 {
                    other = link.neighbour == a && aMoved ? second : assignment[link.neighbour]
                    if other < 0 { continue }
                }
                if other != from {
                    add(from, outgoing: link.outgoing, -link.gbps)
                    if other >= 0 { add(other, outgoing: !link.outgoing, -link.gbps) }
                }
                if other != to {
                    add(to, outgoing: link.outgoing, link.gbps)
                    if other >= 0 { add(other, outgoing: !link.outgoing, link.gbps) }
                }
            }
        }
        shift(a, from: first, to: second, aMoved: false)
        if b >= 0 { shift(b, from: second, to: first, aMoved: true) }
        return (one, two)
    }

    /// Cross-server traffic plus a penalty for every core or Gbps a server is over.
    static func score(_ assignment: [Int], _ usage: Usage, _ model: TrafficModel) -> Double {
        model.crossServerGbps(assignment) + penalty * usage.indices.map { model.overload(usage[$0], on: $0) }.reduce(0, +)
    }

    /// A Gbps over a server's link weighs as much as 1,000 Gbps of cross traffic, so the search
    /// first repairs what packing could not fit.
    static let penalty = 1000.0

    /// Kernighan-Lin local search (§5.1): each pass takes the best swap of two instances on
    /// different servers (or move to a free core), even when it costs, locks what moved, and
    /// keeps the best placement seen; passes repeat while they improve. A pass stops after
    /// `patience` steps without a new best, which bounds its cost on large graphs.
    static func improve(_ start: [Int], _ model: TrafficModel, patience: Int = 24) -> [Int] {
        var best = start
        var bestUsage = model.usage(start)
        var bestScore = score(best, bestUsage, model)
        let count = model.placeable.count
        while true {
            var assignment = best, usage = bestUsage
            var current = bestScore
            var locked = [Bool](repeating: false, count: count)
            var sinceBest = 0
            let passStart = bestScore
            while sinceBest < patience {
                var choice: (score: Double, a: Int, b: Int, target: Int)?
                for a in 0..<count where !locked[a] {
                    let sa = assignment[a]
                    for b in (a + 1)..<count where !locked[b] && assignment[b] != sa {
                        let sb = assignment[b]
                        let delta = model.moveGain(a, to: sb, assignment, ignoring: b) + model.moveGain(b, to: sa, assignment, ignoring: a)
                        let (newS, newT) = swapEffect(a, b, assignment, usage, model)
                        let overload = model.overload(newS, on: sa) + model.overload(newT, on: sb)
                            - model.overload(usage[sa], on: sa) - model.overload(usage[sb], on: sb)
                        let next = current - delta + penalty * overload
                        if next < (choice?.score ?? .infinity) - 1e-9 { choice = (next, a, b, -1) }
                    }
                    for target in model.servers.indices where target != sa && usage[target].cores < model.servers[target].nfCores {
                        let delta = model.moveGain(a, to: target, assignment)
                        let (newS, newT) = swapEffect(a, -1, assignment, usage, model, target: target)
                        let overload = model.overload(newS, on: sa) + model.overload(newT, on: target)
                            - model.overload(usage[sa], on: sa) - model.overload(usage[target], on: target)
                        let next = current - delta + penalty * overload
                        if next < (choice?.score ?? .infinity) - 1e-9 { choice = (next, a, -1, target) }
                    }
                }
                guard let step = choice else { break }
                if step.b >= 0 {
                    let (sa, sb) = (assignment[step.a], assignment[step.b])
                    move(step.a, to: sb, &assignment, &usage, model)
                    move(step.b, to: sa, &assignment, &usage, model)
                    locked[step.b] = true
                } else {
                    move(step.a, to: step.target, &assignment, &usage, model)
                }
                locked[step.a] = true
                current = step.score
                if current < bestScore - 1e-9 {
                    best = assignment
                    bestUsage = usage
                    bestScore = current
                    sinceBest = 0
                } else {
                    sinceBest += 1
                }
            }
            if bestScore >= passStart - 1e-9 { return best }
        }
    }

    /// Fails naming every server whose link the placement overloads, and by how much.
    static func checkLinks(_ assignment: [Int], _ model: TrafficModel) throws(PlanError) {
        let usage = model.usage(assignment)
        var problems: [String] = []
        for (server, use) in usage.enumerated() {
            let nic = model.servers[server].nicGbps, name = model.servers[server].name
            if use.inGbps > nic + 1e-9 { problems.append(String(format: "%@ needs %.2f Gbps in on a %.0f Gbps link (%.2f over)", name, use.inGbps, nic, use.inGbps - nic)) }
            if use.outGbps > nic + 1e-9 { problems.append(String(format: "%@ needs %.2f Gbps out on a %.0f Gbps link (%.2f over)", name, use.outGbps, nic, use.outGbps - nic)) }
        }
        if !problems.isEmpty {
            throw PlanError(.notEnoughBandwidth, "the placement overloads server links: " + problems.joined(separator: "; "))
        }
    }

    /// Every server fits, except ones that did not fit before either.
    static func fitsEverywhere(_ after: Usage, before: Usage, _ model: TrafficModel) -> Bool {
        after.indices.allSatisfy { model.fits(after[$0], on: $0) || !model.fits(before[$0], on: $0) }
    }

    static func noRoom(for node: Int, _ model: TrafficModel, _ assignment: [Int]) -> PlanError {
        let usage = model.usage(assignment)
        let freeCores = model.servers.indices.map { model.servers[$0].nfCores - usage[$0].cores }.reduce(0, +)
        let needIn = model.adjacency[node].filter { !$0.outgoing }.map(\.gbps).reduce(0, +)
        let needOut = model.adjacency[node].filter(\.outgoing).map(\.gbps).reduce(0, +)
        if freeCores == 0 {
            return PlanError(.notEnoughCores, "no core is left for \(model.placeable[node])")
        }
        let headroom = model.servers.indices.map { server in
            "\(model.servers[server].name): \(String(format: "%.2f", model.servers[server].nicGbps - max(usage[server].inGbps, usage[server].outGbps))) Gbps"
        }.joined(separator: ", ")
        return PlanError(.notEnoughBandwidth, String(format: "no server link can carry %@ (%.2f Gbps in, %.2f Gbps out); link headroom left: %@",
                                                   model.placeable[node], needIn, needOut, headroom))
    }
}

extension Placer {
    /// The placement with the least cross-server traffic that fits every server, by exhaustive
    /// branch-and-bound search: for small iGraphs only (it is exponential), as a yardstick for
    /// the heuristics. Nil when nothing fits or `limit` instances are exceeded.
    public static func optimal(_ graph: InstanceGraph, hardware: HardwareDescription, limit: Int = 12) -> Placement? {
        let model = TrafficModel(graph, hardware: hardware)
        let count = model.placeable.count
        guard count <= limit else { return nil }
        var assignment = [Int](repeating: -1, count: count)
        var usage = model.usage(assignment)
        var best: (cost: Double, assignment: [Int])?
        // Placing instances in order, the cost of edges between placed ones is final.
        func search(_ node: Int, _ cost: Double) {
            if let best, cost >= best.cost - 1e-9 { return }
            guard node < count else {
                best = (cost, assignment)
                return
            }
            var triedEmpty: Set<[Double]> = []
            for server in model.servers.indices where usage[server].cores < model.servers[server].nfCores {
                // Empty servers of the same size are interchangeable: try one of each size.
                if usage[server].cores == 0 {
                    let size = [Double(model.servers[server].nfCores), model.servers[server].nicGbps]
                    guard triedEmpty.insert(size).inserted else { continue }
                }
                var added = 0.0
                for link in model.adjacency[node] where link.neighbour >= 0 && link.neighbour < node && assignment[link.neighbour] != server {
                    added += link.gbps
                }
                move(node, to: server, &assignment, &usage, model)
                if model.fits(usage[server], on: server), usage.indices.allSatisfy({ model.fits(usage[$0], on: $0) }) {
                    search(node + 1, cost + added)
                }
                move(node, to: -1, &assignment, &usage, model)
            }
        }
        search(0, 0)
        guard let best else { return nil }
        return Placement(servers: Dictionary(uniqueKeysWithValues: model.placeable.enumerated().map { ($1, hardware.servers[best.assignment[$0]].name) }))
    }

    /// Cross-server traffic of a placement, in Gbps.
    public static func crossServerGbps(_ graph: InstanceGraph, _ placement: Placement, hardware: HardwareDescription) -> Double {
        let model = TrafficModel(graph, hardware: hardware)
        let index = Dictionary(uniqueKeysWithValues: hardware.servers.enumerated().map { ($1.name, $0) })
        return model.crossServerGbps(model.placeable.map { placement.servers[$0].flatMap { index[$0] } ?? -1 })
    }
}
