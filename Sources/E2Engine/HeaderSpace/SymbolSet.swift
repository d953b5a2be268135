/// A set of names: the values of a derived attribute or the port group a packet came in on.
///
/// Either finite (`{"true"}`) or everything but a finite set, so that the complement of a
/// metadata attribute whose values E2 cannot list is still exact.
public struct SymbolSet: Hashable, Sendable {
    public var members: Set<String>
    /// When true, the set is every name except `members`.
    public var isComplement: Bool

    public init(_ members: Set<String>, isComplement: Bool = false) {
        self.members = members
        self.isComplement = isComplement
    }

    public static let everything = SymbolSet([], isComplement: true)

    public func contains(_ name: String) -> Bool { members.contains(name) != isComplement }

    public var complement: SymbolSet { SymbolSet(members, isComplement: !isComplement) }

    public func intersection(_ other: SymbolSet) -> SymbolSet {
        switch (isComplement, other.isComplement) {
        case (false, false): SymbolSet(members.intersection(other.members))
        case (false, true): SymbolSet(members.subtracting(other.members))
        case (true, false): SymbolSet(other.members.subtracting(members))
        case (true, true): SymbolSet(members.union(other.members), isComplement: true)
        }
    }

    public func union(_ other: SymbolSet) -> SymbolSet {
        complement.intersection(other.complement).complement
    }

    /// Restricted to a finite universe, when the dimension has one.
    public func within(_ universe: Set<String>?) -> SymbolSet {
        guard let universe else { return self }
        return SymbolSet(isComplement ? universe.subtracting(members) : members.intersection(universe))
    }

    /// Empty within `universe` (nil: infinitely many names, so a complement is never empty).
    public func isEmpty(in universe: Set<String>?) -> Bool {
        guard let universe else { return !isComplement && members.isEmpty }
        if isComplement { return members.count >= universe.count && universe.isSubset(of: members) }
        return members.count <= universe.count ? members.isDisjoint(with: universe) : universe.isDisjoint(with: members)
    }

    /// Holds every name of `universe` (nil: infinitely many names).
    public func isFull(in universe: Set<String>?) -> Bool {
        guard let universe else { return isComplement && members.isEmpty }
        if isComplement { return members.count <= universe.count ? members.isDisjoint(with: universe) : universe.isDisjoint(with: members) }
        return members.count >= universe.count && universe.isSubset(of: members)
    }

    /// A member, preferring `preferred`; for a complement, a name outside `members`.
    public func anyMember(in universe: Set<String>?, preferring preferred: [String] = []) -> String? {
        let set = within(universe)
        if !set.isComplement {
            return preferred.first { set.members.contains($0) } ?? set.members.sorted().first
        }
        if let choice = preferred.first(where: { !set.members.contains($0) }) { return choice }
        var index = 0
        while set.members.contains("other\(index)") { index += 1 }
        return "other\(index)"
    }
}
