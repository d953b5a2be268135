import ArgumentParser
import E2Engine
import Foundation

/// `e2 plan`: a dry run of sizing, splitting and placement for a policy on a cluster.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Size, split and place a policy's NFs on a cluster, and print the plan and its figures.",
        discussion: """
            Deterministic: the same input gives the same plan (--seed sets the random strategy's choices).
            --policy takes policy text (.e2), its JSON form, or a JSON pGraph: {"nodes": [{"name", "type" | "ports"}], "edges": [{"from", "to", "gbps"}]}.
            """
    )

    @Option(name: .customLong("policy"), parsing: .upToNextOption, help: "Policy files, or one JSON pGraph.")
    var policies: [String]

    @Option(help: "NF descriptions (JSON).")
    var nfs: String

    @Option(help: "Hardware description (JSON).")
    var hardware: String

    @Option(name: .customLong("load"), help: "Expected rate of an edge, overriding the policy: FROM->TO=RATE (e.g. nat->fw=2Gbps). Repeatable.")
    var loads: [String] = []

    @Option(help: "e2 (packing plus swaps), packing, or random.")
    var strategy: PlacementStrategy = .e2

    @Option(help: "Seed of the random strategy.")
    var seed: UInt64 = 1

    @Option(help: "text, json or dot (the iGraph with one cluster per server).")
    var format: PlanFormat = .text

    enum PlanFormat: String, ExpressibleByArgument, CaseIterable { case text, json, dot }

    func run() throws {
        guard !policies.isEmpty else { throw ValidationError("--policy needs at least one file") }
        let catalog = try Self.decode(NFCatalog.self, nfs, what: "NF descriptions")
        let cluster = try Self.decode(HardwareDescription.self, hardware, what: "hardware description")
        let overrides = try loads.map { text -> EdgeRates.Override in
            guard let override = EdgeRates.Override.parse(text) else {
                throw ValidationError("--load \(text): expected FROM->TO=RATE, such as nat->fw=2Gbps")
            }
            return override
        }
        let graph = try policyGraph(catalog: catalog)
        let made: (plan: ClusterPlan, instanceGraph: InstanceGraph, placement: Placement)
        do {
            made = try ClusterPlan.make(graph, catalog: catalog, hardware: cluster, overrides: overrides, strategy: strategy, seed: seed)
        } catch {
            FileHandle.standardError.write(Data("e2 plan: \(error.code.rawValue): \(error.message)\n".utf8))
            throw ExitCode(1)
        }
        switch format {
        case .json: print(try JSONOutput.encode(made.plan))
        case .dot: print(PlanRendering.dot(made.instanceGraph, placement: made.placement, hardware: cluster), terminator: "")
        case .text: print(PlanRendering.text(made.plan, hardware: cluster), terminator: "")
        }
    }

    static func decode<T: ValidatedDocument>(_ type: T.Type, _ path: String, what: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(what) \(path)") }
        do {
            return try T.decode(json: data)
        } catch {
            throw ValidationError("\(path): \(error)")
        }
    }

    /// The pGraph: checked from policy files, or read as a JSON pGraph.
    func policyGraph(catalog: NFCatalog) throws -> PolicyGraph {
        if policies.count == 1, policies[0].hasSuffix(".json"), let data = FileManager.default.contents(atPath: policies[0]),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], object["nodes"] != nil {
            do {
                return try JSONDecoder().decode(PGraphInput.self, from: data).graph()
            } catch let error as DecodingError {
                throw ValidationError("\(policies[0]): \(DescriptionError(decoding: error))")
            }
        }
        let sources = try policies.map { PolicyChecker.SourceFile(name: $0, text: $0.hasSuffix(".json") ? try PolicyInputs.textOfJSONPolicy(try PolicyInputs.readText($0), path: $0) : try PolicyInputs.readText($0)) }
        let result = PolicyChecker.check(sources, catalog: catalog)
        guard let graph = result.graph else {
            PolicyInputs.printDiagnostics(result.diagnostics, sources: sources)
            throw ExitCode(1)
        }
        return graph
    }
}

extension PlacementStrategy: ExpressibleByArgument {}

/// A pGraph written directly, for generated graphs: NF nodes have a type, port nodes ports.
struct PGraphInput: Decodable {
    struct Node: Decodable {
        var name: String
        var type: String?
        var ports: [Int]?
    }
    struct Edge: Decodable {
        var from: String
        var to: String
        var gbps: Double?
        var filter: String?
    }
    var nodes: [Node]
    var edges: [Edge]

    func graph() throws -> PolicyGraph {
        let names = Set(nodes.map(\.name) + ["Drop"])
        for edge in edges where !names.contains(edge.from) || !names.contains(edge.to) {
            throw ValidationError("pGraph edge \(edge.from) -> \(edge.to) names a node that is not in nodes")
        }
        var graphNodes = nodes.map { node in
            PolicyGraph.Node(name: node.name, kind: node.type == nil ? .port : .nf, type: node.type, ports: node.ports ?? (node.type == nil ? [0] : nil))
        }
        if edges.contains(where: { $0.to == "Drop" }) { graphNodes.append(.init(name: "Drop", kind: .drop)) }
        let graphEdges = edges.enumerated().map { index, edge in
            PolicyGraph.Edge(from: edge.from, to: edge.to, filter: edge.filter, ingress: nil, finalFilter: edge.filter,
                             bandwidthBps: edge.gbps.map { $0 * 1e9 }, filterIn: nil, input: nil, pipelet: 0, file: "pgraph", line: index + 1, column: 1)
        }
        return PolicyGraph(nodes: graphNodes, edges: graphEdges)
    }
}
