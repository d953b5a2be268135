/// The values one dimension may take inside a cube: integers or names.
public enum ValueSet: Hashable, Sendable {
    case numbers(IntervalSet)
    case symbols(SymbolSet)
}

/// What the algebra needs to know about dimensions beyond their type: the finite universes.
///
/// The ingress class ranges over the declared port groups, and an attribute with the port
/// method over the values its NF description lists; a metadata attribute has no such list.
public struct Universe: Sendable, Equatable {
    public var symbols: [HeaderDimension: Set<String>]

    public init(symbols: [HeaderDimension: Set<String>] = [:]) {
        self.symbols = symbols
    }

    func full(_ dimension: HeaderDimension) -> ValueSet {
        if let maximum = dimension.maximum { return .numbers(IntervalSet(0, maximum)) }
        return .symbols(SymbolSet.everything.within(symbols[dimension]))
    }

    func isEmpty(_ set: ValueSet, in dimension: HeaderDimension) -> Bool {
        switch set {
        case .numbers(let numbers): numbers.isEmpty
        case .symbols(let names): names.isEmpty(in: symbols[dimension])
        }
    }

    func isFull(_ set: ValueSet, in dimension: HeaderDimension) -> Bool {
        switch set {
        case .numbers(let numbers): numbers.isFull(maximum: dimension.maximum ?? 0)
        case .symbols(let names): names.complement.isEmpty(in: symbols[dimension])
        }
    }

    func intersection(_ a: ValueSet, _ b: ValueSet) -> ValueSet {
        switch (a, b) {
        case let (.numbers(x), .numbers(y)): .numbers(x.intersection(y))
        case let (.symbols(x), .symbols(y)): .symbols(x.intersection(y))
        default: preconditionFailure("a dimension mixes numbers and names")
        }
    }

    func complement(_ set: ValueSet, in dimension: HeaderDimension) -> ValueSet {
        switch set {
        case .numbers(let numbers): .numbers(numbers.complement(maximum: dimension.maximum ?? 0))
        case .symbols(let names): .symbols(names.complement.within(symbols[dimension]))
        }
    }
}
