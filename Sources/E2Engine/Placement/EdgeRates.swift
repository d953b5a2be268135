/// The expected rate of every pGraph edge, in Gbps, from the policy's bandwidth annotations.
///
/// Within each pipelet (a DAG) a node passes on what it receives: annotated edges leaving it
/// carry their annotation, and the rest of its input is shared evenly by its unannotated edges.
/// A `--load EDGE=RATE` override replaces an edge's annotation.
public struct EdgeRates: Sendable, Equatable {
    /// Gbps per edge, in the order of `PolicyGraph.edges`.
    public var gbps: [Double]

    /// An override: the edge `from -> to` (the first such edge, or the one of `pipelet`).
    public struct Override: Sendable, Equatable {
        public var from: String
        public var to: String
        public var gbps: Double

        public init(from: String, to: String, gbps: Double) {
            self.from = from
            self.to = to
            self.gbps = gbps
        }

        /// Parses `from->to=RATE` with RATE in bps, Kbps, Mbps or Gbps (`nat->fw=2Gbps`).
        public static func parse(_ text: String) -> Override? {
            let halves = text.split(separator: "=", maxSplits: 1)
            guard halves.count == 2 else { return nil }
            let ends = halves[0].components(separatedBy: "->").map { $0.trimmingCharacters(in: .whitespaces) }
            guard ends.count == 2, !ends[0].isEmpty, !ends[1].isEmpty else { return nil }
            let rate = halves[1].trimmingCharacters(in: .whitespaces)
            let digits = rate.prefix { $0.isNumber || $0 == "." }
            guard let amount = Double(digits) else { return nil }
            let unit = rate.dropFirst(digits.count).lowercased()
            let scale: Double? = ["": 1e-9, "bps": 1e-9, "kbps": 1e-6, "mbps": 1e-3, "gbps": 1][String(unit)]
            guard let scale, amount >= 0 else { return nil }
            return Override(from: ends[0], to: ends[1], gbps: amount * scale)
        }
    }

    public static func compute(_ graph: PolicyGraph, overrides: [Override] = []) throws(PlanError) -> EdgeRates {
        var annotated: [Double?] = graph.edges.map { $0.bandwidthBps.map { $0 / 1e9 } }
        for override in overrides {
            guard let index = graph.edges.firstIndex(where: { $0.from == override.from && $0.to == override.to }) else {
                throw PlanError(.unknownEdge, "--load names \(override.from)->\(override.to), which is not an edge of the policy")
            }
            annotated[index] = override.gbps
        }
        var rates = [Double](repeating: 0, count: graph.edges.count)
        let pipelets = Set(graph.edges.map(\.pipelet)).sorted()
        for pipelet in pipelets {
            let indices = graph.edges.indices.filter { graph.edges[$0].pipelet == pipelet }
            // Kahn's order over this pipelet's nodes (each pipelet is a DAG).
            var incoming: [String: Int] = [:]
            var nodes: Set<String> = []
            for index in indices {
                nodes.insert(graph.edges[index].from)
                nodes.insert(graph.edges[index].to)
                incoming[graph.edges[index].to, default: 0] += 1
            }
            var ready = nodes.filter { incoming[$0, default: 0] == 0 }.sorted()
            var input: [String: Double] = [:]
            while let node = ready.first {
                ready.removeFirst()
                let leaving = indices.filter { graph.edges[$0].from == node }
                let fixed = leaving.compactMap { annotated[$0] }.reduce(0, +)
                let open = leaving.filter { annotated[$0] == nil }
                let share = open.isEmpty ? 0 : max(0, input[node, default: 0] - fixed) / Double(open.count)
                for index in leaving {
                    rates[index] = annotated[index] ?? share
                    let next = graph.edges[index].to
                    input[next, default: 0] += rates[index]
                    incoming[next, default: 0] -= 1
                    if incoming[next] == 0 { ready.append(next); ready.sort() }
                }
            }
        }
        return EdgeRates(gbps: rates)
    }
}
