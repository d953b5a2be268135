import E2Dataplane

/// The control requests that turn a running E2D configuration into another without
/// restarting E2D: modules and vports that stay keep their state (flow tables, exceptions,
/// counters), and their NFs keep running.
public enum ConfigurationDiff {
    /// nil when the change needs a restart (other ports, or a vport redefined under its name).
    public static func requests(from old: DataplaneConfiguration, to new: DataplaneConfiguration) -> [ControlRequest]? {
        guard old.ports == new.ports, old.classifiers.isEmpty, new.classifiers.isEmpty else { return nil }
        let oldVports = Dictionary(old.vports.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        let newVports = Dictionary(new.vports.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        for (name, spec) in newVports where oldVports[name].map({ $0 != spec }) ?? false { return nil }

        let oldModules = Dictionary(old.modules.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        let newModules = Dictionary(new.modules.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        var rangesOnly: [ModuleSpec] = []
        var replaced: Set<String> = []
        for (name, spec) in oldModules {
            guard let next = newModules[name] else { replaced.insert(name); continue }
            if next == spec { continue }
            var a = spec, b = next
            a.ranges = nil
            b.ranges = nil
            if spec.type == .flowSteer && a == b { rangesOnly.append(next) } else { replaced.insert(name) }
        }
        func touches(_ link: LinkSpec) -> Bool { replaced.contains(link.source?.module ?? "") || replaced.contains(link.to) }
        let oldLinks = Set(old.links), newLinks = Set(new.links)

        var requests: [ControlRequest] = []
        // Links that go, unless a module they touch goes (its links go with it).
        for link in old.links where !newLinks.contains(link) && !touches(link) {
            requests.append(ControlRequest(op: .removeLink, name: link.from))
        }
        for name in replaced.sorted() { requests.append(ControlRequest(op: .removeModule, name: name)) }
        for name in oldVports.keys.sorted() where newVports[name] == nil { requests.append(ControlRequest(op: .removeVport, name: name)) }
        for spec in new.vports where oldVports[spec.name] == nil { requests.append(ControlRequest(op: .addVport, vport: spec)) }
        for spec in new.modules where oldModules[spec.name] == nil || replaced.contains(spec.name) {
            requests.append(ControlRequest(op: .addModule, module: spec))
        }
        for spec in rangesOnly { requests.append(ControlRequest(op: .setRanges, name: spec.name, ranges: spec.ranges)) }
        for link in new.links where !oldLinks.contains(link) || touches(link) {
            requests.append(ControlRequest(op: .addLink, link: link))
        }
        return requests
    }
}
