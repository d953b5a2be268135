/// The NF descriptions E2 knows, by type name: the `{"nfs": [...]}` document.
public struct NFCatalog: Codable, Sendable, Equatable, ValidatedDocument {
    public var nfs: [NFDescription]

    public init(nfs: [NFDescription]) {
        self.nfs = nfs
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case nfs }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        nfs = try decoder.container(keyedBy: CodingKeys.self).decode([NFDescription].self, forKey: .nfs)
    }

    /// The description of a type, if the catalog has it.
    public subscript(type: String) -> NFDescription? {
        nfs.first { $0.name == type }
    }

    public func problems() -> [DescriptionError] {
        var problems: [DescriptionError] = []
        var seen: Set<String> = []
        for (index, nf) in nfs.enumerated() {
            let at = "$.nfs[\(index)]"
            if !nf.name.isIdentifier {
                problems.append(.init(path: "\(at).name", message: "\"\(nf.name)\" is not a valid type name (letters, digits and _, not starting with a digit)"))
            }
            if !seen.insert(nf.name).inserted {
                problems.append(.init(path: "\(at).name", message: "NF type \"\(nf.name)\" is described twice"))
            }
            problems += nf.problems(at: at)
        }
        return problems
    }
}

extension NFDescription {
    /// Problems within one description, with paths under `at`.
    public func problems(at path: String) -> [DescriptionError] {
        var problems: [DescriptionError] = []
        if inputs.isEmpty { problems.append(.init(path: "\(path).inputs", message: "an NF needs at least one input vport")) }
        if outputs.isEmpty { problems.append(.init(path: "\(path).outputs", message: "an NF needs at least one output vport")) }
        for (field, names) in [("inputs", inputs), ("outputs", outputs)] {
            var seen: Set<String> = []
            for (index, name) in names.enumerated() where !seen.insert(name).inserted {
                problems.append(.init(path: "\(path).\(field)[\(index)]", message: "vport \"\(name)\" is listed twice"))
            }
        }
        for (attribute, method) in attributes.sorted(by: { $0.key < $1.key }) {
            guard case .port(let valuesToOutputs) = method else { continue }
            if valuesToOutputs.isEmpty {
                problems.append(.init(path: "\(path).attributes.\(attribute).ports", message: "a port attribute needs at least one value"))
            }
            for (value, output) in valuesToOutputs.sorted(by: { $0.key < $1.key }) where !outputs.contains(output) {
                problems.append(.init(
                    path: "\(path).attributes.\(attribute).ports.\(value)",
                    message: "output vport \"\(output)\" is not among the outputs \(outputs)"))
            }
        }
        for (name, method) in inputAttributes.sorted(by: { $0.key < $1.key }) {
            if case .port(let input) = method, !inputs.contains(input) {
                problems.append(.init(
                    path: "\(path).inputAttributes.\(name).port",
                    message: "input vport \"\(input)\" is not among the inputs \(inputs)"))
            }
        }
        if !(performance.gbpsPerCorePerGHz > 0) || !performance.gbpsPerCorePerGHz.isFinite {
            problems.append(.init(path: "\(path).performance.gbpsPerCorePerGHz", message: "must be a positive number"))
        }
        if Set(affinity).count != affinity.count {
            problems.append(.init(path: "\(path).affinity", message: "lists a field twice"))
        }
        return problems
    }
}

extension String {
    /// Whether the string can be a name in the policy language.
    var isIdentifier: Bool {
        guard let first = unicodeScalars.first, first == "_" || first.properties.isAlphabetic && first.isASCII else { return false }
        return unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }
}
