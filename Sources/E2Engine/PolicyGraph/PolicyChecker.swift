/// Checks a policy and builds its pGraph: the whole of `e2 policy check` as a library call.
///
/// Every problem is reported, not only the first: names are resolved across all files,
/// each pipelet must be a DAG, and every packet leaving a node must have exactly one
/// destination (§5.1, Appendix), after overlaps between pipelets are resolved by limiting
/// the overlapping edges to their pipelets' traffic classes (the ports they enter through).
public struct PolicyChecker {
    /// A policy file: its name (for diagnostics) and text.
    public struct SourceFile: Sendable {
        public var name: String
        public var text: String
        public init(name: String, text: String) {
            self.name = name
            self.text = text
        }
    }

    public struct Result: Sendable {
        public var graph: PolicyGraph?
        public var diagnostics: [PolicyDiagnostic]
        public var isValid: Bool { !diagnostics.contains { $0.severity == .error } }
    }

    public static let builtInTypes: Set<String> = ["Tee"]
    public static let reservedNames: Set<String> = ["Drop", "Port", "Address", "pipelet", "Tee", "ingress"]

    public static func check(_ files: [SourceFile], catalog: NFCatalog) -> Result {
        var diagnostics: [PolicyDiagnostic] = []
        var documents: [PolicyDocument] = []
        for file in files {
            do {
                documents.append(try PolicyParser.parse(file.text, file: file.name))
            } catch {
                diagnostics.append(error)
            }
        }
        var checker = Checker(catalog: catalog)
        checker.declare(documents.flatMap(\.declarations))
        let pipelets = documents.flatMap(\.pipelets)
        let edges = checker.resolve(pipelets)
        checker.checkCycles(pipelets)
        let graph = checker.destinations(edges, pipelets: pipelets)
        diagnostics += checker.diagnostics
        diagnostics.sort { $0.location < $1.location }
        let valid = !diagnostics.contains { $0.severity == .error }
        return Result(graph: valid ? graph : nil, diagnostics: diagnostics)
    }
}

/// The state of one check.
struct Checker {
    let catalog: NFCatalog
    var diagnostics: [PolicyDiagnostic] = []
    var declarations: [String: Declaration] = [:]
    var order: [String] = []
    var compiler: FilterCompiler
    /// Nodes with an edge that did not resolve: their destinations cannot be judged.
    var unresolvedSources: Set<String> = []

    init(catalog: NFCatalog) {
        self.catalog = catalog
        compiler = FilterCompiler(addresses: [:], portGroups: [], catalog: catalog)
    }

    mutating func report(_ diagnostic: PolicyDiagnostic) { diagnostics.append(diagnostic) }

    // MARK: Declarations

    mutating func declare(_ all: [Declaration]) {
        var groups: [(Declaration, ClosedRange<Int>)] = []
        for declaration in all {
            if PolicyChecker.reservedNames.contains(declaration.name) {
                report(PolicyDiagnostic(.duplicateName, at: declaration.location, "'\(declaration.name)' is a built-in name and cannot be declared"))
                continue
            }
            if let first = declarations[declaration.name] {
                report(PolicyDiagnostic(.duplicateName, at: declaration.location,
                                        "'\(declaration.name)' is already declared at \(first.location)"))
                continue
            }
            switch declaration.kind {
            case .instance(let type):
                if catalog[type] == nil && !PolicyChecker.builtInTypes.contains(type) {
                    let known = (catalog.nfs.map(\.name) + ["Tee"]).joined(separator: ", ")
                    report(PolicyDiagnostic(.unknownNFType, at: declaration.detailLocation,
                                            "unknown NF type '\(type)' (the NF descriptions have \(known))"))
                }
            case .portGroup(let first, let last):
                guard first <= last else {
                    report(PolicyDiagnostic(.portRange, at: declaration.detailLocation,
                                            "port range \(first)-\(last) is empty: the first port is larger than the last"))
                    continue
                }
                if let (other, _) = groups.first(where: { $0.1.overlaps(first...last) }) {
                    report(PolicyDiagnostic(.portGroupOverlap, at: declaration.detailLocation,
                                            "ports \(first)-\(last) of '\(declaration.name)' overlap port group '\(other.name)' declared at \(other.location)"))
                }
                groups.append((declaration, first...last))
            case .address:
                break
            }
            declarations[declaration.name] = declaration
            order.append(declaration.name)
        }
        var addresses: [String: AddressPrefix] = [:]
        var portGroups: Set<String> = []
        for (name, declaration) in declarations {
            switch declaration.kind {
            case .address(let prefix): addresses[name] = prefix
            case .portGroup: portGroups.insert(name)
            case .instance: break
            }
        }
        compiler = FilterCompiler(addresses: addresses, portGroups: portGroups, catalog: catalog)
    }

    // MARK: Edges

    /// An edge whose names resolved, with its compiled filter.
    struct ResolvedEdge {
        var edge: PolicyEdge
        var pipelet: Int
        var space: HeaderSpace
        var input: String?
    }

    enum NodeRole { case nf(String), port, drop, tee, invalid }

    func role(of name: String) -> NodeRole? {
        if name == "Drop" { return .drop }
        guard let declaration = declarations[name] else { return nil }
        switch declaration.kind {
        case .instance(let type): return type == "Tee" ? .tee : .nf(type)
        case .portGroup: return .port
        case .address: return .invalid
        }
    }

    mutating func resolve(_ pipelets: [Pipelet]) -> [ResolvedEdge] {
        var resolved: [ResolvedEdge] = []
        for (index, pipelet) in pipelets.enumerated() {
            for edge in pipelet.edges {
                var ok = true
                for (reference, end) in [(edge.source, "source"), (edge.destination, "destination")] {
                    switch role(of: reference.name) {
                    case nil:
                        report(PolicyDiagnostic(.undefinedName, at: reference.location, "'\(reference.name)' is not declared (edge \(end))"))
                        ok = false
                    case .invalid:
                        report(PolicyDiagnostic(.invalidEdge, at: reference.location, "'\(reference.name)' is an Address, not a node; use it in a filter"))
                        ok = false
                    case .drop where end == "source":
                        report(PolicyDiagnostic(.invalidEdge, at: reference.location, "Drop discards packets; no edge can leave it"))
                        ok = false
                    default:
                        break
                    }
                }
                if edge.source.name == edge.destination.name {
                    report(PolicyDiagnostic(.cycle, at: edge.location, "edge \(edge.source.name) -> \(edge.destination.name) is a cycle of one node"))
                    ok = false
                }
                var input: String?
                if let filterIn = edge.filterIn {
                    if case .nf(let type) = role(of: edge.destination.name), let nf = catalog[type] {
                        switch nf.inputAttributes[filterIn.name] {
                        case .port(let vport): input = vport
                        case .metadata: input = nf.inputs.first
                        case nil:
                            let known = nf.inputAttributes.keys.sorted()
                            report(PolicyDiagnostic(.unknownInput, at: filterIn.location,
                                                    "NF type \(type) has no input '\(filterIn.name)'" + (known.isEmpty ? " (it declares no inputAttributes)" : " (it has \(known.joined(separator: ", ")))")))
                            ok = false
                        }
                    } else if role(of: edge.destination.name) != nil {
                        report(PolicyDiagnostic(.unknownInput, at: filterIn.location, "filter_in '[\(filterIn.name)]' needs an NF destination; '\(edge.destination.name)' is not one"))
                        ok = false
                    }
                }
                var space = HeaderSpace.everything(in: compiler.universe)
                if let filter = edge.filterOut {
                    do {
                        space = try compiler.compile(filter)
                    } catch {
                        report(error)
                        ok = false
                    }
                }
                if ok {
                    resolved.append(ResolvedEdge(edge: edge, pipelet: index, space: space, input: input))
                } else {
                    unresolvedSources.insert(edge.source.name)
                }
            }
        }
        return resolved
    }

    // MARK: Cycles

    /// Each pipelet must be a DAG; the merged graph may have cycles between pipelets.
    mutating func checkCycles(_ pipelets: [Pipelet]) {
        for pipelet in pipelets {
            var successors: [String: [PolicyEdge]] = [:]
            for edge in pipelet.edges where edge.source.name != edge.destination.name {
                successors[edge.source.name, default: []].append(edge)
            }
            var state: [String: Int] = [:]  // 1: on the path, 2: done
            var path: [String] = []
            /// Depth-first search; reports the first cycle and returns true when it finds one.
            func visit(_ node: String, _ checker: inout Checker) -> Bool {
                state[node] = 1
                path.append(node)
                defer {
                    path.removeLast()
                    state[node] = 2
                }
                for edge in successors[node] ?? [] {
                    let next = edge.destination.name
                    if state[next] == 1, let start = path.lastIndex(of: next) {
                        let loop = path[start...] + [next]
                        checker.report(PolicyDiagnostic(.cycle, at: edge.location,
                                                        "pipelet has a cycle: \(loop.joined(separator: " -> ")); a pipelet must be a DAG"))
                        return true
                    }
                    if state[next] == nil, visit(next, &checker) { return true }
                }
                return false
            }
            for edge in pipelet.edges where state[edge.source.name] == nil {
                if visit(edge.source.name, &self) { break }
            }
        }
    }
}
