import E2Engine
import Foundation

/// `/v1/status` and the state gauges of `/metrics`.
///
/// Until agents report (issue 7), status shows the planned cluster: servers from the hardware
/// description, instances and their expected load from the plan, no failures, and the switch
/// table the plan uses.
extension ManagerAPI {
    struct Status: Encodable {
        struct Server: Encodable {
            var name: String
            var cores: Int
            var coresUsed: Int
            var state: String
            var instances: [String]
        }
        var policyDocuments: Int
        var servers: [Server]
        var instances: [ClusterPlan.Instance]
        var failures: [String]
        var switchTable: [String: Int]
        var figures: PlanFigures?
        var problem: String?
    }

    static func status(_ store: ManagerStore) throws -> Status {
        let policies = try store.policies()
        let hardware = try store.hardware()?.hardware
        var status = Status(policyDocuments: policies.count, servers: [], instances: [], failures: [], switchTable: [:], figures: nil, problem: nil)
        if let hardware {
            status.switchTable = ["entries": hardware.switch.flowTableEntries, "used": 0]
            status.servers = hardware.servers.map { Status.Server(name: $0.name, cores: $0.nfCores, coresUsed: 0, state: "planned", instances: []) }
        }
        guard hardware != nil, !policies.isEmpty else { return status }
        do {
            let plan = try Self.plan(store).plan
            status.instances = plan.instances
            status.figures = plan.figures
            status.switchTable["used"] = plan.interconnection.flowTableEntriesUsed
            for index in status.servers.indices {
                let here = plan.instances.filter { $0.server == status.servers[index].name }
                status.servers[index].instances = here.map(\.id)
                status.servers[index].coresUsed = here.map(\.cores).reduce(0, +)
            }
        } catch let problem as Problem {
            status.problem = problem.detail
        }
        return status
    }

    static func addStatusRoutes(_ router: inout HTTPRouter, _ store: ManagerStore, cache: ResultCache) {
        router.add("GET", "/v1/status") { _, _ in
            try cache.response(for: "status", version: try store.stateVersion()) { .json(try status(store)) }
        }
    }

    /// Gauges of the manager's state, appended to the HTTP metrics.
    static func stateMetrics(_ store: ManagerStore) -> String {
        var lines = ["# HELP e2_build_info The running build.", "# TYPE e2_build_info gauge", "e2_build_info{version=\"\(BuildInfo.version)\"} 1"]
        guard let status = try? status(store) else { return lines.joined(separator: "\n") + "\n" }
        lines += ["# HELP e2_instances NF instances in the current plan, by NF.", "# TYPE e2_instances gauge"]
        for (nf, count) in Dictionary(grouping: status.instances, by: \.nf).mapValues(\.count).sorted(by: { $0.key < $1.key }) {
            lines.append("e2_instances{nf=\"\(nf)\"} \(count)")
        }
        lines += ["# HELP e2_instance_load_gbps Expected load of each instance.", "# TYPE e2_instance_load_gbps gauge"]
        for instance in status.instances { lines.append("e2_instance_load_gbps{instance=\"\(instance.id)\",server=\"\(instance.server)\"} \(instance.loadGbps)") }
        lines += ["# HELP e2_switch_flow_entries_used Flow-table entries the plan uses.", "# TYPE e2_switch_flow_entries_used gauge",
                  "e2_switch_flow_entries_used \(status.switchTable["used"] ?? 0)"]
        return lines.joined(separator: "\n") + "\n"
    }
}
