import ArgumentParser
import E2Engine
import Foundation

/// `e2 bench`: benchmarks that print machine-readable results. Measurements, not tests.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run benchmarks and print their figures.",
        subcommands: [PolicyBenchCommand.self, PlacementBenchCommand.self, DataplaneBenchCommand.self]
    )
}

/// `e2 bench policy`: how long `e2 policy check` takes as policies grow.
struct PolicyBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Time the policy check (parse, compile filters, merge, destination analysis) on generated policies.",
        discussion: "Policies come from PolicyGenerator: pipelets of 10 edges sharing a pool of NFs, so shared NFs need traffic-class disambiguation."
    )

    @Option(help: "Edge counts to generate, comma-separated.")
    var edges: String = "100,1000,10000"

    @Option(help: "Runs per size; the median is reported.")
    var runs: Int = 3

    @Option(help: "NF descriptions (they must describe NAT and FW with FW.safe).")
    var nfs: String = "examples/nfs.json"

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    struct Row: Encodable {
        var edges: Int
        var nodes: Int
        var limitedEdges: Int
        var medianSeconds: Double
        var secondsPerThousandEdges: Double
    }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: nfs) else { throw ValidationError("cannot read NF descriptions \(nfs)") }
        let catalog = try NFCatalog.decode(json: data)
        let sizes = edges.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }), runs > 0 else { throw ValidationError("--edges takes positive counts such as 100,1000") }
        var rows: [Row] = []
        for size in sizes {
            let text = PolicyGenerator.policy(edges: size)
            var times: [Double] = []
            var result: PolicyChecker.Result?
            for _ in 0..<runs {
                let start = ContinuousClock.now
                result = PolicyChecker.check([.init(name: "generated.e2", text: text)], catalog: catalog)
                let elapsed = ContinuousClock.now - start
                times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
            guard let graph = result?.graph else {
                throw ValidationError("the generated policy of \(size) edges did not check: \(result?.diagnostics.first?.message ?? "")")
            }
            let median = times.sorted()[times.count / 2]
            let row = Row(edges: graph.edges.count, nodes: graph.nodes.count, limitedEdges: graph.edges.filter { $0.ingress != nil }.count,
                          medianSeconds: median, secondsPerThousandEdges: median / Double(graph.edges.count) * 1000)
            rows.append(row)
            if !json {
                print(String(format: "%7d edges  %6d nodes  %6d limited by ingress  %9.4f s  (%.4f s per 1,000 edges)",
                             row.edges, row.nodes, row.limitedEdges, row.medianSeconds, row.secondsPerThousandEdges))
            }
        }
        if json { print(try JSONOutput.encode(["policyCheck": rows])) }
    }
}
