import ArgumentParser
import E2Engine
import Foundation

/// `e2 bench placement`: the paper's Figure 9 and its yardsticks, side by side in one run.
struct PlacementBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "placement",
        abstract: "Compare e2 placement with packing, random, an exhaustive optimum and METIS (gpmetis).",
        discussion: """
            Figure 9: a 5-NF chain and a random 10-NF graph on the 24-server rack, sized for --load Gbps of input; \
            each placement's maximum input before a core, server link or port group saturates. Then cross-server \
            traffic against the exhaustive optimum on small graphs, and placement time and cut traffic against METIS.
            """
    )

    @Option(help: "NF descriptions.") var nfs: String = "examples/nfs.json"
    @Option(help: "The rack of Figure 9.") var hardware: String = "examples/hardware-rack24.json"
    @Option(help: "Design input load in Gbps for the Figure 9 graphs.") var load: Double = 40
    @Option(help: "Random graphs for the Figure 9 random case and for the optimum comparison.") var graphs: Int = 5
    @Flag(help: "Print JSON.") var json = false

    struct Fig9Row: Encodable {
        var graph: String
        var instances: Int
        var maxInputGbps: [String: Double]
        var crossServerGbps: [String: Double]
        var e2OverRandom: Double
        var e2OverPacking: Double
    }

    struct OptimumRow: Encodable {
        var graph: String
        var instances: Int
        var e2CrossGbps: Double
        var optimumCrossGbps: Double
        var gapPercent: Double
    }

    struct MetisRow: Encodable {
        var graph: String
        var instances: Int
        var e2Milliseconds: Double
        var metisMilliseconds: Double?
        var e2CrossGbps: Double
        var metisCrossGbps: Double?
        var metisOverloadedServers: Int?
        /// Both placements' largest input before anything saturates: the same capacity limits.
        var e2MaxInputGbps: Double
        var metisMaxInputGbps: Double?
        var incrementalMillisecondsPerSplit: Double
    }

    func run() throws {
        let catalog = try PlanCommand.decode(NFCatalog.self, nfs, what: "NF descriptions")
        let rack = try PlanCommand.decode(HardwareDescription.self, hardware, what: "hardware description")
        var report: [String: [any Encodable]] = [:]

        // Figure 9.
        var fig9: [Fig9Row] = []
        var scenarios = [("chain5", PlacementScenarios.chain(inputGbps: load))]
        scenarios += (0..<graphs).map { ("random10-\($0)", PlacementScenarios.randomGraph(inputGbps: load, seed: UInt64(100 + $0))) }
        for (name, graph) in scenarios {
            let igraph = try instanceGraph(graph, catalog: catalog, hardware: rack)
            var maxInput: [String: Double] = [:], cross: [String: Double] = [:]
            for strategy in PlacementStrategy.allCases {
                let placement = try Placer.place(igraph, hardware: rack, strategy: strategy, seed: 7, requireFit: false)
                let figures = PlanFigures.compute(igraph, placement: placement, hardware: rack, catalog: catalog)
                maxInput[strategy.rawValue] = figures.maxInputGbps
                cross[strategy.rawValue] = figures.crossServerGbps
            }
            let row = Fig9Row(graph: name, instances: igraph.nodes.filter { $0.kind == .instance }.count, maxInputGbps: maxInput, crossServerGbps: cross,
                              e2OverRandom: maxInput["e2"]! / maxInput["random"]!, e2OverPacking: maxInput["e2"]! / maxInput["packing"]!)
            fig9.append(row)
            if !json {
                print(String(format: "fig9 %-12@ %3d instances  max input Gbps: e2 %6.2f  packing %6.2f  random %6.2f  (e2/random %.2fx, e2/packing %.2fx)",
                             name as NSString, row.instances, maxInput["e2"]!, maxInput["packing"]!, maxInput["random"]!, row.e2OverRandom, row.e2OverPacking))
            }
        }
        report["figure9"] = fig9

        // Exhaustive optimum on small graphs: four servers of three NF cores.
        let small = HardwareDescription(
            switch: rack.switch,
            servers: (1...4).map { ServerDescription(name: "t\($0)", cores: 4, ghz: 2.6, nicGbps: 10, switchPort: 23 + $0, dataplaneCores: 1) })
        var optimum: [OptimumRow] = []
        // Random graphs until `graphs` of them fit the small cluster in at most 12 instances.
        for index in 0..<(graphs * 4) where optimum.count < graphs {
            let graph = PlacementScenarios.randomGraph(count: 5 + index % 3, inputGbps: 3 + Double(index % 3), seed: UInt64(200 + index))
            let igraph = try instanceGraph(graph, catalog: catalog, hardware: small)
            guard let best = Placer.optimal(igraph, hardware: small, limit: 12) else { continue }
            let e2 = try Placer.place(igraph, hardware: small, strategy: .e2)
            let e2Cross = Placer.crossServerGbps(igraph, e2, hardware: small), bestCross = Placer.crossServerGbps(igraph, best, hardware: small)
            let row = OptimumRow(graph: "small-\(index)", instances: igraph.nodes.filter { $0.kind == .instance }.count, e2CrossGbps: e2Cross,
                                 optimumCrossGbps: bestCross, gapPercent: bestCross > 1e-9 ? (e2Cross - bestCross) / bestCross * 100 : (e2Cross > 1e-9 ? 100 : 0))
            optimum.append(row)
            if !json {
                print(String(format: "optimum small-%d  %2d instances  cross Gbps: e2 %.3f  optimum %.3f  gap %.1f%%", index, row.instances, e2Cross, bestCross, row.gapPercent))
            }
        }
        report["optimum"] = optimum

        // Time and cut against METIS, and incremental placement per split.
        var metis: [MetisRow] = []
        for (name, graph) in scenarios.prefix(2) {
            let igraph = try instanceGraph(graph, catalog: catalog, hardware: rack)
            let start = ContinuousClock.now
            let placement = try Placer.place(igraph, hardware: rack, strategy: .e2, requireFit: false)
            let e2Time = (ContinuousClock.now - start).milliseconds
            let peer = try? MetisPeer.partition(igraph, hardware: rack)
            let row = MetisRow(
                graph: name, instances: igraph.nodes.filter { $0.kind == .instance }.count, e2Milliseconds: e2Time,
                metisMilliseconds: peer?.milliseconds, e2CrossGbps: Placer.crossServerGbps(igraph, placement, hardware: rack),
                metisCrossGbps: peer.map { Placer.crossServerGbps(igraph, $0.placement, hardware: rack) }, metisOverloadedServers: peer?.overloaded,
                e2MaxInputGbps: PlanFigures.compute(igraph, placement: placement, hardware: rack, catalog: catalog).maxInputGbps,
                metisMaxInputGbps: peer.map { PlanFigures.compute(igraph, placement: $0.placement, hardware: rack, catalog: catalog).maxInputGbps },
                incrementalMillisecondsPerSplit: try incrementalTime(graph, placement: placement, catalog: catalog, hardware: rack))
            metis.append(row)
            if !json {
                print(String(format: "metis %-10@ %3d instances  e2 %.2f ms, cross %.2f Gbps, max input %.2f Gbps | gpmetis %@ ms, cross %@ Gbps, %@ servers over their links, max input %@ Gbps | incremental %.3f ms per split",
                             name as NSString, row.instances, e2Time, row.e2CrossGbps, row.e2MaxInputGbps,
                             (row.metisMilliseconds.map { String(format: "%.2f", $0) } ?? "n/a") as NSString,
                             (row.metisCrossGbps.map { String(format: "%.2f", $0) } ?? "n/a") as NSString,
                             (row.metisOverloadedServers.map(String.init) ?? "n/a") as NSString,
                             (row.metisMaxInputGbps.map { String(format: "%.2f", $0) } ?? "n/a") as NSString, row.incrementalMillisecondsPerSplit))
            }
        }
        report["metis"] = metis
        if json {
            struct Report: Encodable { var figure9: [Fig9Row]; var optimum: [OptimumRow]; var metis: [MetisRow] }
            print(try JSONOutput.encode(Report(figure9: fig9, optimum: optimum, metis: metis)))
        }
    }

    func instanceGraph(_ graph: PolicyGraph, catalog: NFCatalog, hardware: HardwareDescription) throws -> InstanceGraph {
        let rates = try EdgeRates.compute(graph)
        let sizing = try Sizing.compute(graph, rates: rates, catalog: catalog, hardware: hardware)
        return InstanceGraph.build(graph, rates: rates, sizing: sizing, catalog: catalog)
    }

    /// 68 split requests (the paper's rate per second): each adds an instance to one NF and
    /// places it incrementally; the mean time per request.
    func incrementalTime(_ graph: PolicyGraph, placement: Placement, catalog: NFCatalog, hardware: HardwareDescription) throws -> Double {
        let rates = try EdgeRates.compute(graph)
        var sizing = try Sizing.compute(graph, rates: rates, catalog: catalog, hardware: hardware)
        var current = placement
        var total: Duration = .zero
        var done = 0
        for request in 0..<68 {
            let position = request % sizing.entries.count
            sizing.entries[position].instances += 1
            let grown = InstanceGraph.build(graph, rates: rates, sizing: sizing, catalog: catalog)
            let start = ContinuousClock.now
            guard let next = try? Placer.placeIncrementally(grown, hardware: hardware, existing: current) else { break }
            total += ContinuousClock.now - start
            current = next
            done += 1
        }
        return done == 0 ? 0 : total.milliseconds / Double(done)
    }
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
