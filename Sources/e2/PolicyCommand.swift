import ArgumentParser
import E2Engine
import Foundation

/// `e2 policy`: offline work on policy files.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check policies and print their merged policy graph (pGraph).",
        subcommands: [PolicyCheckCommand.self, PolicyGraphCommand.self, PolicyConvertCommand.self]
    )
}

/// The files and NF descriptions both policy subcommands read.
struct PolicyInputs: ParsableArguments {
    @Argument(help: "Policy files: text (.e2) or the JSON form (.json, whose diagnostics point at lines of its text form, as `e2 policy convert --to text` prints it); their declarations and pipelets are merged.")
    var files: [String]

    @Option(name: .customLong("nfs"), help: "NF descriptions (JSON, as examples/nfs.json).")
    var nfs: String?

    func load() throws -> (sources: [PolicyChecker.SourceFile], catalog: NFCatalog) {
        let sources = try files.map { path -> PolicyChecker.SourceFile in
            let text = try Self.readText(path)
            return PolicyChecker.SourceFile(name: path, text: path.hasSuffix(".json") ? try Self.textOfJSONPolicy(text, path: path) : text)
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

    /// A policy file's text; a file that is not UTF-8 is named as such, not as unreadable.
    static func readText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read policy file \(path)") }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ValidationError("policy file \(path) is not UTF-8 text")
        }
        return text
    }

    /// Prints diagnostics to standard error as a compiler does, with the source line and a caret.
    static func printDiagnostics(_ diagnostics: [PolicyDiagnostic], sources: [PolicyChecker.SourceFile]) {
        let texts = Dictionary(sources.map { ($0.name, $0.text) }, uniquingKeysWith: { first, _ in first })
        for diagnostic in diagnostics {
            FileHandle.standardError.write(Data((diagnostic.rendered(source: texts[diagnostic.location.file]) + "\n").utf8))
        }
    }

    /// The text form of a JSON policy, or a usage error naming the JSON path of the problem.
    static func textOfJSONPolicy(_ json: String, path: String) throws -> String {
        let policy: PolicyJSON
        do {
            policy = try JSONDecoder().decode(PolicyJSON.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw ValidationError("\(path): \(DescriptionError(decoding: error))")
        }
        if let problem = policy.problems().first { throw ValidationError("\(path): \(problem)") }
        return policy.text()
    }
}

/// `e2 policy convert`: between the text form and the JSON form the API takes.
struct PolicyConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Print a policy in its JSON form (for the API) or its text form."
    )

    enum Form: String, ExpressibleByArgument, CaseIterable { case json, text }

    @Argument(help: "A policy file: text (.e2) or JSON (.json).")
    var file: String

    @Option(help: "json or text.")
    var to: Form = .json

    func run() throws {
        let contents = try PolicyInputs.readText(file)
        let text = file.hasSuffix(".json") ? try PolicyInputs.textOfJSONPolicy(contents, path: file) : contents
        let document: PolicyDocument
        do {
            document = try PolicyParser.parse(text, file: file)
        } catch {
            FileHandle.standardError.write(Data((error.rendered(source: text) + "\n").utf8))
            throw ExitCode(1)
        }
        let policy = PolicyJSON(document)
        switch to {
        case .json: print(try JSONOutput.encode(policy))
        case .text: print(policy.text(), terminator: "")
        }
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
            PolicyInputs.printDiagnostics(result.diagnostics, sources: sources)
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
            PolicyInputs.printDiagnostics(result.diagnostics, sources: sources)
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
