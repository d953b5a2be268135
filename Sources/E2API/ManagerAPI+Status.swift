import E2Engine
import Foundation

/// `/v1/status` and the state gauges of `/metrics`.
///
/// Servers from the hardware description with their agents' state (`alive`, `failed`, or
/// `planned` when no agent registered), instances and their expected load from the plan (which
/// leaves failed servers out), the failed agents, and the switch table the plan uses.
extension ManagerAPI {
    struct Status: Encodable {
        struct Server: Encodable {
            var name: String
            var cores: Int
            var coresUsed: Int
            var state: String
            var instances: [String]
            var heartbeatAgeSeconds: Double?
        }
        var policyDocuments: Int
        var servers: [Server]
        var instances: [ClusterPlan.Instance]
        var failures: [String]
        var switchTable: [String: Int]
        var figures: PlanFigures?
        var problem: String?
    }

    static func status(_ store: ManagerStore, heartbeats: AgentHeartbeats? = nil) throws -> Status {
        let policies = try store.policies()
        let hardware = try store.hardware()?.hardware
        var status = Status(policyDocuments: policies.count, servers: [], instances: [], failures: [], switchTable: [:], figures: nil, problem: nil)
        if let hardware {
            status.switchTable = ["entries": hardware.switch.flowTableEntries, "used": 0]
            let agents = Dictionary(try store.agents().map { ($0.registration.name, $0) }, uniquingKeysWith: { $1 })
            status.servers = hardware.servers.map { server in
                let agent = agents[server.name]
                return Status.Server(name: server.name, cores: server.nfCores, coresUsed: 0,
                                     state: agent.map { $0.failed ? "failed" : "alive" } ?? "planned", instances: [],
                                     heartbeatAgeSeconds: agent.flatMap { _ in heartbeats.map { ($0.age(server.name) * 1000).rounded() / 1000 } })
            }
            status.failures = agents.values.filter(\.failed).map { "agent \($0.registration.name) failed" }.sorted()
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

    static func addStatusRoutes(_ router: inout HTTPRouter, _ store: ManagerStore, cache: ResultCache, heartbeats: AgentHeartbeats) {
        router.add("GET", "/v1/status") { _, _ in
            // Heartbeat ages change without a state change: with agents, no cache.
            if try store.agents().isEmpty {
                return try cache.response(for: "status", version: try store.stateVersion()) { .json(try status(store)) }
            }
            return .json(try status(store, heartbeats: heartbeats))
        }
    }

    /// Gauges of the manager's state, appended to the HTTP metrics.
    static func stateMetrics(_ store: ManagerStore, heartbeats: AgentHeartbeats) -> String {
        var lines = ["# HELP e2_build_info The running build.", "# TYPE e2_build_info gauge", "e2_build_info{version=\"\(BuildInfo.version)\"} 1"]
        let agents = (try? store.agents()) ?? []
        lines += ["# HELP e2_agent_heartbeat_age_seconds Seconds since each agent was last heard from.", "# TYPE e2_agent_heartbeat_age_seconds gauge"]
        for agent in agents { lines.append("e2_agent_heartbeat_age_seconds{agent=\"\(agent.registration.name)\"} \(heartbeats.age(agent.registration.name))") }
        lines += ["# HELP e2_agents Registered agents by state.", "# TYPE e2_agents gauge",
                  "e2_agents{state=\"alive\"} \(agents.filter { !$0.failed }.count)", "e2_agents{state=\"failed\"} \(agents.filter(\.failed).count)"]
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
