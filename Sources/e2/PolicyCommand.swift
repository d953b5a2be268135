import ArgumentParser
import E2Engine
import Foundation

/// `e2 policy`: offline work on policy files.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check policies and print their merged policy graph (pGraph).",
        subcommands: [PolicyCheckCommand.self, PolicyGraphCommand.self]
    )
}

/// The files and NF descriptions both policy subcommands read.
struct PolicyInputs: ParsableArguments {
    @Argument(help: "Policy files (.e2); their declarations and pipelets are merged.")
    var files: [String]

    @Option(name: .customLong("nfs"), help: "NF descriptions (JSON, as examples/nfs.json).")
    var nfs: String?

    func load() throws -> (sources: [PolicyChecker.SourceFile], catalog: NFCatalog) {
        let sources = try files.map { path -> PolicyChecker.SourceFile in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("cannot read policy file \(path)")
            }
            return PolicyChecker.SourceFile(name: path, text: text)
        }
        var catalog = NFCatalog(nfs: [])
        if let nfs {
            guard let data = FileManager.default.contents(atPath: nfs) else { throw ValidationError("cannot read NF descriptions \(nfs)") }
            do {
                catalog = try NFCatalog.decode(json: data)
            } catch {
                throw ValidationError("\(nfs): \(error)")
            }
        }
        return (sources, catalog)
    }
}

enum PolicyOutputFormat: String, ExpressibleByArgument, CaseIterable { case text, json }
enum GraphOutputFormat: String, ExpressibleByArgument, CaseIterable { case json, dot }

/// `e2 policy check`: exit 0 with a summary, or 1 with every diagnostic.
struct PolicyCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check policy files: syntax, names, and that every packet leaving a node has exactly one destination."
    )

    @OptionGroup var inputs: PolicyInputs

    @Option(help: "text: diagnostics on stderr; json: {\"valid\", \"diagnostics\"} on stdout.")
    var format: PolicyOutputFormat = .text

    func run() throws {
        let (sources, catalog) = try inputs.load()
        let result = PolicyChecker.check(sources, catalog: catalog)
        switch format {
        case .json:
            struct Report: Encodable { var valid: Bool; var diagnostics: [PolicyDiagnostic] }
            print(try JSONOutput.encode(Report(valid: result.isValid, diagnostics: result.diagnostics)))
        case .text:
            let texts = Dictionary(sources.map { ($0.name, $0.text) }, uniquingKeysWith: { first, _ in first })
            for diagnostic in result.diagnostics {
                FileHandle.standardError.write(Data((diagnostic.rendered(source: texts[diagnostic.location.file]) + "\n").utf8))
            }
            if let graph = result.graph {
                let nfs = graph.nodes.filter { $0.kind == .nf }.count
                let ports = graph.nodes.filter { $0.kind == .port }.count
                let limited = graph.edges.filter { $0.ingress != nil }.count
                print("valid: \(sources.count) file(s), \(nfs) NF instances, \(ports) port groups, \(graph.edges.count) edges"
                      + (limited > 0 ? ", \(limited) limited by ingress" : ""))
            }
        }
        if !result.isValid { throw ExitCode(1) }
    }
}

/// `e2 policy graph`: the merged pGraph as JSON or graphviz DOT.
struct PolicyGraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print the merged policy graph (pGraph) with each edge's final filter and bandwidth."
    )

    @OptionGroup var inputs: PolicyInputs

    @Option(help: "json or dot (graphviz).")
    var format: GraphOutputFormat = .json

    func run() throws {
        let (sources, catalog) = try inputs.load()
        let result = PolicyChecker.check(sources, catalog: catalog)
        guard let graph = result.graph else {
            let texts = Dictionary(sources.map { ($0.name, $0.text) }, uniquingKeysWith: { first, _ in first })
            for diagnostic in result.diagnostics {
                FileHandle.standardError.write(Data((diagnostic.rendered(source: texts[diagnostic.location.file]) + "\n").utf8))
            }
            throw ExitCode(1)
        }
        switch format {
        case .json: print(try JSONOutput.encode(graph))
        case .dot: print(graph.dot(), terminator: "")
        }
    }
}

/// Pretty, stable JSON for command output.
enum JSONOutput {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
