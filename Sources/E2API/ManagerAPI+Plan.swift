import E2Engine
import Foundation

/// `POST /v1/plan` (a dry run), `/v1/igraph` and `/v1/placement` of the stored state.
extension ManagerAPI {
    struct PlanRequest: Decodable {
        var strategy: PlacementStrategy?
        var seed: UInt64?
        /// `FROM->TO=RATE` overrides, as `e2 plan --load`.
        var loads: [String]?

        init() {}

        private enum CodingKeys: String, CodingKey, CaseIterable { case strategy, seed, loads }

        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            strategy = try container.decodeUnlessAbsent(PlacementStrategy.self, forKey: .strategy)
            seed = try container.decodeUnlessAbsent(UInt64.self, forKey: .seed)
            loads = try container.decodeUnlessAbsent([String].self, forKey: .loads)
        }
    }

    static func plan(_ store: ManagerStore, _ request: PlanRequest = PlanRequest()) throws -> (plan: ClusterPlan, instanceGraph: InstanceGraph, placement: Placement, hardware: HardwareDescription) {
        let graph = try currentGraph(store)
        guard var (hardware, _) = try store.hardware() else {
            throw Problem(status: 409, detail: "no hardware description has been submitted (PUT /v1/hardware)")
        }
        // Servers whose agents failed take no instances until they come back.
        let failed = failedServers(store)
        hardware.servers.removeAll { failed.contains($0.name) }
        guard !hardware.servers.isEmpty else { throw Problem(status: 409, detail: "every server's agent has failed: \(failed.sorted())") }
        let overrides = try (request.loads ?? []).map { text -> EdgeRates.Override in
            guard let override = EdgeRates.Override.parse(text) else { throw Problem(status: 422, detail: "load '\(text)' is not FROM->TO=RATE") }
            return override
        }
        // The running plan (no options) keeps instances where they are while only the set of
        // alive servers changes; a dry run with options is planned afresh and not kept.
        let running = request.strategy == nil && request.seed == nil && (request.loads ?? []).isEmpty
        let inputs = try store.planInputs()
        let existing = running ? try store.runningPlacement().flatMap { $0.inputs == inputs ? $0.placement : nil } : nil
        do {
            let made = try ClusterPlan.make(graph, catalog: try store.catalog().catalog, hardware: hardware, overrides: overrides,
                                            strategy: request.strategy ?? .e2, seed: request.seed ?? 1, existing: existing,
                                            extraInstances: running ? try store.extraInstances() : [:])
            if running && made.placement != existing { try store.saveRunningPlacement(inputs: inputs, placement: made.placement) }
            return (made.plan, made.instanceGraph, made.placement, hardware)
        } catch let error as PlanError {
            throw Problem(status: 422, title: "The cluster cannot hold the demand", detail: error.message, extensions: ["code": .string(error.code.rawValue)])
        }
    }

    static func addPlanRoutes(_ router: inout HTTPRouter, _ store: ManagerStore, cache: ResultCache) {
        router.add("POST", "/v1/plan") { request, _ in
            // A plan depends only on the stored state and the body: cache it by both.
            let key = "plan:" + (request.header("Content-Type") ?? "") + ":" + String(decoding: request.body, as: UTF8.self)
            return try cache.response(for: key, version: try store.stateVersion()) { try planResponse(request, store) }
        }
        router.add("GET", "/v1/igraph") { request, _ in
            let made = try plan(store)
            if try wantsDOT(request) { return .text(PlanDOT.render(made.instanceGraph, made.placement, made.hardware), contentType: "text/vnd.graphviz") }
            return .json(["instances": .encoded(made.plan.instances), "edges": .encoded(made.plan.edges)] as [String: ProblemValue])
        }
        router.add("GET", "/v1/placement") { request, _ in
            // Agents read it twice a second: planned once per state version.
            let dot = try wantsDOT(request)
            return try cache.response(for: "placement:\(dot)", version: try store.stateVersion()) {
                let made = try plan(store)
                if dot { return .text(PlanDOT.render(made.instanceGraph, made.placement, made.hardware), contentType: "text/vnd.graphviz") }
                return .json(["instances": .encoded(made.plan.instances), "figures": .encoded(made.plan.figures),
                              "switchRules": .encoded(made.plan.switchRules), "interconnection": .encoded(made.plan.interconnection)] as [String: ProblemValue])
            }
        }
    }

    static func planResponse(_ request: HTTPRequest, _ store: ManagerStore) throws -> HTTPResponse {
        var parameters = PlanRequest()
        if !request.body.isEmpty {
            try requireContentType(request, ["application/json"])
            parameters = try decodeBody(PlanRequest.self, from: request)
        }
        return .json(try plan(store, parameters).plan)
    }
}

/// The iGraph as graphviz, one cluster per server.
enum PlanDOT {
    static func render(_ graph: InstanceGraph, _ placement: Placement, _ hardware: HardwareDescription) -> String {
        var lines = ["digraph igraph {", "  rankdir=LR;"]
        for server in hardware.servers {
            let here = graph.nodes.filter { placement.servers[$0.id] == server.name }
            guard !here.isEmpty else { continue }
            lines.append("  subgraph \"cluster_\(server.name)\" { label=\"\(server.name)\"; " + here.map { "\"\($0.id)\" [shape=box];" }.joined(separator: " ") + " }")
        }
        for edge in graph.edges { lines.append("  \"\(edge.from)\" -> \"\(edge.to)\" [label=\"\(String(format: "%.2f", edge.gbps)) Gbps\"];") }
        return (lines + ["}"]).joined(separator: "\n") + "\n"
    }
}

extension ManagerAPI {
    /// What the cluster should run now, for the switch driver and agents in this process: the
    /// plan (without failed servers), the policy texts and the NF catalog.
    public static func currentPlan(_ store: ManagerStore) throws -> (plan: ClusterPlan, policies: [String], catalog: NFCatalog) {
        let made = try plan(store)
        return (made.plan, try store.policies().map(\.text), try store.catalog().catalog)
    }
}
