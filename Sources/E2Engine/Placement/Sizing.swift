/// How many instances each NF gets (§5.1 step 2): its input load over what one core does.
public struct Sizing: Sendable, Equatable, Codable {
    public struct Entry: Sendable, Equatable, Codable {
        /// The pGraph node.
        public var node: String
        public var type: String
        /// The sum of the NF's incoming edge rates.
        public var inputGbps: Double
        /// What one instance (one core) handles on the slowest server's clock.
        public var gbpsPerInstance: Double
        public var instances: Int
        /// Set when a non-replicable NF's load exceeds one core.
        public var warning: String?
    }

    public var entries: [Entry]

    public subscript(node: String) -> Entry? { entries.first { $0.node == node } }

    public static func compute(_ graph: PolicyGraph, rates: EdgeRates, catalog: NFCatalog, hardware: HardwareDescription) throws(PlanError) -> Sizing {
        let ghz = hardware.servers.map(\.ghz).min() ?? 1
        var entries: [Entry] = []
        for node in graph.nodes where node.kind == .nf {
            guard let type = node.type, let nf = catalog[type] else {
                throw PlanError(.unknownNFType, "NF '\(node.name)' has type '\(node.type ?? "")', which the NF descriptions do not describe")
            }
            let input = graph.edges.indices.filter { graph.edges[$0].to == node.name }.map { rates.gbps[$0] }.reduce(0, +)
            let perInstance = nf.performance.gbpsPerCorePerGHz * ghz
            let needed = Int((input / perInstance - 1e-9).rounded(.up))
            var entry = Entry(node: node.name, type: type, inputGbps: input, gbpsPerInstance: perInstance, instances: max(1, needed))
            if !nf.replicable && entry.instances > 1 {
                entry.warning = String(format: "%@ (%@) is not replicable: one instance gets %.2f Gbps, %.1fx what one core handles",
                                       node.name, type, input, input / perInstance)
                entry.instances = 1
            }
            entries.append(entry)
        }
        return Sizing(entries: entries)
    }
}
