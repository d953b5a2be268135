import E2Engine
import Foundation

/// `e2 plan`'s text and DOT output.
enum PlanRendering {
    static func text(_ plan: ClusterPlan, hardware: HardwareDescription) -> String {
        var lines: [String] = ["Sizing (\(plan.strategy.rawValue) placement)"]
        for entry in plan.sizing.entries {
            lines.append("  " + pad(entry.node, 14) + pad(entry.type, 12)
                         + String(format: "%8.2f Gbps in  %6.2f Gbps per instance  %3d instance(s)", entry.inputGbps, entry.gbpsPerInstance, entry.instances))
        }
        for warning in plan.warnings { lines.append("  warning: \(warning)") }
        lines.append("Placement")
        let byServer = Dictionary(grouping: plan.instances, by: \.server)
        for server in hardware.servers {
            let here = byServer[server.name] ?? []
            lines.append("  \(server.name): \(here.count)/\(server.nfCores) cores  " + here.map(\.id).sorted().joined(separator: " "))
        }
        if !plan.offloaded.isEmpty { lines.append("  switch: " + plan.offloaded.joined(separator: " ") + " (offloaded)") }
        let cross = plan.edges.filter { edge in
            let from = plan.instances.first { $0.id == edge.from }?.server, to = plan.instances.first { $0.id == edge.to }?.server
            return from != nil && to != nil && from != to
        }
        lines.append("iGraph: \(plan.instances.count) instances, \(plan.edges.count) edges, \(plan.edges.filter(\.direct).count) direct, \(cross.count) between servers")
        let wiring = plan.interconnection
        lines.append("Interconnection")
        for server in wiring.servers {
            let rules = server.stages.map(\.rules.count).reduce(0, +)
            let tunnels = server.stages.flatMap(\.rules).filter { $0.next.kind == .tunnel }.count
            lines.append("  \(server.server): \(server.instances.count) instances, \(server.stages.count) classification stages, \(rules) rules (\(tunnels) into tunnels), \(server.arrivals.count) service paths in")
        }
        lines.append("  switch: \(plan.switchRules.count) rules, \(wiring.flowTableEntriesUsed) of \(wiring.flowTableEntries) flow-table entries")
        let f = plan.figures
        lines.append("Figures")
        lines.append(String(format: "  switch traffic      %.3f Gbps (%.3f Gbps between servers)", f.switchGbps, f.crossServerGbps))
        lines.append("  cores used          \(f.coresUsed) of \(f.coresAvailable)")
        lines.append("  busiest link        \(f.busiestLink ?? "none") at " + String(format: "%.1f%%", f.busiestLinkUtilization * 100))
        lines.append(String(format: "  input               %.3f Gbps expected; at most %.3f Gbps", f.inputGbps, f.maxInputGbps)
                     + (f.bottleneck.map { " before the \($0) saturates" } ?? ""))
        return lines.joined(separator: "\n") + "\n"
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text.padding(toLength: width, withPad: " ", startingAt: 0)
    }

    static func dot(_ graph: InstanceGraph, placement: Placement, hardware: HardwareDescription) -> String {
        func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        var lines = ["digraph igraph {", "  rankdir=LR;", "  node [fontname=\"Helvetica\"];", "  edge [fontname=\"Helvetica\", fontsize=9];"]
        for server in hardware.servers {
            let here = graph.nodes.filter { placement.servers[$0.id] == server.name }
            guard !here.isEmpty else { continue }
            lines.append("  subgraph \(quoted("cluster_" + server.name)) {")
            lines.append("    label=\(quoted(server.name));")
            for node in here { lines.append("    \(quoted(node.id)) [shape=box];") }
            lines.append("  }")
        }
        for node in graph.nodes where placement.servers[node.id] == nil {
            lines.append("  \(quoted(node.id)) [shape=\(node.kind == .drop ? "octagon" : "ellipse")];")
        }
        for edge in graph.edges {
            let label = String(format: "%.2f Gbps", edge.gbps) + (edge.split.map { " [\($0.lower)-\($0.upper)]" } ?? "")
            lines.append("  \(quoted(edge.from)) -> \(quoted(edge.to)) [label=\(quoted(label))\(edge.direct ? ", style=bold" : "")];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}
