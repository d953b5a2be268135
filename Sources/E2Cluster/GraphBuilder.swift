import E2Dataplane
import E2Engine

/// Accumulates modules and links for a generated E2D configuration, making each name once.
struct GraphBuilder {
    var modules: [ModuleSpec] = []
    var links: [LinkSpec] = []
    private var names: Set<String> = []

    /// Adds `module` unless a module of that name exists; returns its name.
    @discardableResult
    mutating func add(_ module: ModuleSpec) -> String {
        if names.insert(module.name).inserted { modules.append(module) }
        return module.name
    }

    func has(_ name: String) -> Bool { names.contains(name) }

    /// A name not used yet, from `base`.
    mutating func fresh(_ base: String) -> String {
        var name = base
        var counter = 1
        while names.contains(name) {
            counter += 1
            name = "\(base).\(counter)"
        }
        return name
    }

    mutating func link(_ sources: [String], to module: String) {
        for source in sources { links.append(LinkSpec(from: source, to: module)) }
    }

    /// Runs `filter`'s tests after `source`: the source of packets that pass, and the sources
    /// of those that fail (to be linked to whatever comes next).
    mutating func test(_ filter: DataplaneFilter, after source: String, label: String) -> (pass: String, fail: [String]) {
        var current = source
        var fails: [String] = []
        for test in filter.tags {
            let name = add(ModuleSpec(name: fresh("tag.\(label)"), type: .tagMatch, slot: test.slot, values: [test.value]))
            link([current], to: name)
            current = test.equal ? "\(name):0" : "\(name):1"
            fails.append(test.equal ? "\(name):1" : "\(name):0")
        }
        if let pcap = filter.pcap {
            let name = add(ModuleSpec(name: fresh("match.\(label)"), type: .classifier, rules: [.init(filter: pcap, gate: 0)], gates: 2, defaultGate: 1))
            link([current], to: name)
            current = "\(name):0"
            fails.append("\(name):1")
        }
        return (current, fails)
    }

    /// A flowSteer module for rules that split a flow-ID space: gate i for `ranges[i]`, and one
    /// more gate for flow IDs no range covers.
    mutating func steer(_ ranges: [(lower: Int, upper: Int)], fields: [HeaderField], label: String) -> (name: String, uncovered: Int) {
        var specs: [ModuleSpec.Range] = []
        for (gate, range) in ranges.enumerated() { specs.append(.init(lower: range.lower, upper: range.upper, gate: gate)) }
        var next = 0
        for range in ranges.sorted(by: { $0.lower < $1.lower }) {
            if range.lower > next { specs.append(.init(lower: next, upper: range.lower - 1, gate: ranges.count)) }
            next = max(next, range.upper + 1)
        }
        if next <= 65535 { specs.append(.init(lower: next, upper: 65535, gate: ranges.count)) }
        let names: [HeaderField: String] = [.sourceAddress: "src_ip", .destinationAddress: "dst_ip", .sourcePort: "src_port", .destinationPort: "dst_port", .transportProtocol: "proto"]
        let name = add(ModuleSpec(name: fresh("steer.\(label)"), type: .flowSteer, gates: ranges.count + 1,
                                  fields: (fields.isEmpty ? HeaderField.allCases : fields).compactMap { names[$0] }, ranges: specs,
                                  migrationAvoidance: true))
        return (name, ranges.count)
    }
}

/// Names that E2D accepts for vports: letters, digits, - and _.
func vportName(_ instance: String, _ port: String) -> String {
    String("\(instance)-\(port)".map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }.prefix(24))
}
