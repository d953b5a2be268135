import ArgumentParser
import E2Engine
import Foundation

/// gpmetis (Debian's metis) partitioning an iGraph into servers, as a peer of e2 placement.
enum MetisPeer {
    struct Result {
        var placement: Placement
        var milliseconds: Double
        /// Servers whose links the partition overloads (METIS knows cores, not links).
        var overloaded: Int
    }

    /// Partitions the placeable instances into as few parts as the servers' cores allow,
    /// edge weights in Mbps; METIS's own partitioning time is reported.
    static func partition(_ graph: InstanceGraph, hardware: HardwareDescription) throws -> Result {
        let instances = graph.nodes.filter { $0.kind == .instance || $0.kind == .tee }.map(\.id)
        let index = Dictionary(uniqueKeysWithValues: instances.enumerated().map { ($1, $0) })
        var weights = [[Int: Int]](repeating: [:], count: instances.count)
        for edge in graph.edges {
            guard let a = index[edge.from], let b = index[edge.to], a != b else { continue }
            let mbps = max(1, Int((edge.gbps * 1000).rounded()))
            weights[a][b, default: 0] += mbps
            weights[b][a, default: 0] += mbps
        }
        let edgeCount = weights.map(\.count).reduce(0, +) / 2
        var text = "\(instances.count) \(edgeCount) 001\n"
        for row in weights { text += row.sorted { $0.key < $1.key }.map { "\($0.key + 1) \($0.value)" }.joined(separator: " ") + "\n" }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("e2-metis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("igraph")
        try Data(text.utf8).write(to: file)
        let cores = hardware.servers.map(\.nfCores).max() ?? 1
        let parts = min(hardware.servers.count, max(2, (instances.count + cores - 1) / cores))
        guard let tool = ExternalTool(named: "gpmetis") else { throw ValidationError("gpmetis is not installed (apt-get install metis)") }
        let (status, output) = try tool.run(["-ufactor=1", file.path, String(parts)])
        guard status == 0 else { throw ValidationError("gpmetis failed: \(output)") }
        // gpmetis prints "Partitioning: 0.001 sec (METIS time)".
        let seconds = output.split(separator: "\n").first { $0.contains("Partitioning:") }?
            .split(separator: " ").compactMap { Double($0) }.first ?? 0
        let assignment = try String(contentsOf: URL(fileURLWithPath: file.path + ".part.\(parts)"), encoding: .utf8)
            .split(separator: "\n").compactMap { Int($0) }
        let placement = Placement(servers: Dictionary(uniqueKeysWithValues: instances.enumerated().map { ($1, hardware.servers[assignment[$0]].name) }))
        var inbound: [String: Double] = [:], outbound: [String: Double] = [:]
        let drops = Set(graph.nodes.filter { $0.kind == .drop }.map(\.id))
        for edge in graph.edges where !drops.contains(edge.to) {
            let from = placement.servers[edge.from], to = placement.servers[edge.to]
            guard from != to else { continue }
            if let from { outbound[from, default: 0] += edge.gbps }
            if let to { inbound[to, default: 0] += edge.gbps }
        }
        let overloaded = hardware.servers.filter { inbound[$0.name, default: 0] > $0.nicGbps || outbound[$0.name, default: 0] > $0.nicGbps }.count
        return Result(placement: placement, milliseconds: seconds * 1000, overloaded: overloaded)
    }
}
