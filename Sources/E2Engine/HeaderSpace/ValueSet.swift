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
        case .symbols(let names): names.isFull(in: symbols[dimension])
        }
    }

    func intersection(_ a: ValueSet, _ b: ValueSet) -> ValueSet {
        switch (a, b) {
        case let (.numbers(x), .numbers(y)): .numbers(x.intersection(y))
        case let (.symbols(x), .symbols(y)): .symbols(x.intersection(y))
        default: preconditionFailure("a dimension mixes numbers and names")
        }
    }

    /// Whether two sets of one dimension share a value, without building their intersection.
    func intersects(_ a: ValueSet, _ b: ValueSet, in dimension: HeaderDimension) -> Bool {
        switch (a, b) {
        case let (.numbers(x), .numbers(y)): return x.intersects(y)
        case let (.symbols(x), .symbols(y)):
            if !x.isComplement && !y.isComplement {
                let (small, large) = x.members.count <= y.members.count ? (x.members, y.members) : (y.members, x.members)
                let universe = symbols[dimension]
                return small.contains { large.contains($0) && universe?.contains($0) ?? true }
            }
            return !x.intersection(y).isEmpty(in: symbols[dimension])
        default: preconditionFailure("a dimension mixes numbers and names")
        }
    }

    func complement(_ set: ValueSet, in dimension: HeaderDimension) -> ValueSet {
        switch set {
        case .numbers(let numbers): .numbers(numbers.complement(maximum: dimension.maximum ?? 0))
        case .symbols(let names): .symbols(names.complement)
        }
    }
}
