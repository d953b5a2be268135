import E2Dataplane
import E2Engine

/// Accumulates modules and links for a generated E2D configuration, making each name once.
/// A class, so that the closures that build next hops can add modules while a chain is built.
final class GraphBuilder {
    var modules: [ModuleSpec] = []
    var links: [LinkSpec] = []
    private var names: Set<String> = []

    /// Adds `module` unless a module of that name exists; returns its name.
    @discardableResult
    func add(_ module: ModuleSpec) -> String {
        if names.insert(module.name).inserted { modules.append(module) }
        return module.name
    }

    func has(_ name: String) -> Bool { names.contains(name) }

    /// A name not used yet, from `base`.
    func fresh(_ base: String) -> String {
        var name = base
        var counter = 1
        while names.contains(name) {
            counter += 1
            name = "\(base).\(counter)"
        }
        return name
    }

    func link(_ sources: [String], to module: String) {
        for source in sources { links.append(LinkSpec(from: source, to: module)) }
    }

    /// Runs `filter`'s tests after `source`: the source of packets that pass, and the sources
    /// of those that fail (to be linked to whatever comes next).
    func test(_ filter: DataplaneFilter, after source: String, label: String) -> (pass: String, fail: [String]) {
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

    /// Links `rules` after `source`, first match first, and returns the sources of the packets
    /// no rule matched. Consecutive rules with the same filter that split a flow-ID space
    /// (flowIDs, hashFields) share one test and a flowSteer module; failure exits that meet
    /// are joined by a counter. `target` makes (or finds) the module a rule's packets go to.
    func firstMatch<Rule>(_ rules: [Rule], after source: String, label: String, drop: String,
                          key: (Rule) -> (filter: String?, flowIDs: [Int]?, hashFields: [HeaderField]?),
                          translate: (String?) throws(WiringError) -> DataplaneFilter,
                          target: (Rule) throws(WiringError) -> String) throws(WiringError) -> [String] {
        var pending = [source]
        var index = 0
        while index < rules.count, !pending.isEmpty {
            let first = key(rules[index])
            var group = [rules[index]]
            while index + group.count < rules.count {
                let other = key(rules[index + group.count])
                guard other.filter == first.filter, other.flowIDs != nil, first.flowIDs != nil, other.hashFields == first.hashFields else { break }
                group.append(rules[index + group.count])
            }
            index += group.count
            let filter = try translate(first.filter)
            var entry = pending[0]
            if pending.count > 1 {
                entry = add(ModuleSpec(name: fresh("join.\(label)"), type: .counter))
                link(pending, to: entry)
            }
            let tested = test(filter, after: entry, label: label)
            if group.count == 1 && first.flowIDs == nil {
                link([tested.pass], to: try target(group[0]))
            } else {
                let ranges = group.map { rule in (lower: key(rule).flowIDs?.first ?? 0, upper: key(rule).flowIDs?.last ?? 65535) }
                let steer = steer(ranges, fields: first.hashFields ?? [], label: label)
                link([tested.pass], to: steer.name)
                for (gate, member) in group.enumerated() { link(["\(steer.name):\(gate)"], to: try target(member)) }
                link(["\(steer.name):\(steer.uncovered)"], to: drop)
            }
            pending = tested.fail
        }
        return pending
    }

    /// An nshEncap module for a service path, linked to `output` when first made; its name.
    func encapsulation(_ name: String, path: Int, index: Int, output: () throws(WiringError) -> String) throws(WiringError) -> String {
        if !has(name) {
            add(ModuleSpec(name: name, type: .nshEncap, servicePath: path, serviceIndex: index))
            link([name], to: try output())
        }
        return name
    }

    /// A flowSteer module for rules that split a flow-ID space: gate i for `ranges[i]`, and one
    /// more gate for flow IDs no range covers.
    func steer(_ ranges: [(lower: Int, upper: Int)], fields: [HeaderField], label: String) -> (name: String, uncovered: Int) {
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
