/// A product of per-dimension value sets: the packets whose every coordinate is allowed.
///
/// A dimension the cube does not mention is unconstrained. Because dimensions are
/// independent coordinates, a cube is empty exactly when one of its sets is.
public struct Cube: Hashable, Sendable {
    public private(set) var constraints: [HeaderDimension: ValueSet]

    public init(_ constraints: [HeaderDimension: ValueSet] = [:]) {
        self.constraints = constraints
    }

    public static let everything = Cube()

    public func isEmpty(in universe: Universe) -> Bool {
        constraints.contains { universe.isEmpty($0.value, in: $0.key) }
    }

    /// Whether some packet is in both cubes (both must be non-empty); allocates nothing.
    public func intersects(_ other: Cube, in universe: Universe) -> Bool {
        let (small, large) = constraints.count <= other.constraints.count ? (constraints, other.constraints) : (other.constraints, constraints)
        for (dimension, set) in small {
            if let theirs = large[dimension], !universe.intersects(set, theirs, in: dimension) { return false }
        }
        return true
    }

    /// The packets in both cubes.
    public func intersection(_ other: Cube, in universe: Universe) -> Cube {
        var result = constraints
        for (dimension, set) in other.constraints {
            result[dimension] = result[dimension].map { universe.intersection($0, set) } ?? set
        }
        return Cube(result)
    }

    /// The packets of this cube outside `other`, as disjoint cubes (at most one per dimension
    /// `other` constrains).
    public func subtracting(_ other: Cube, in universe: Universe) -> [Cube] {
        guard intersects(other, in: universe) else { return [self] }
        var pieces: [Cube] = []
        var remainder = self
        for dimension in other.constraints.keys.sorted() {
            let set = other.constraints[dimension]!
            let mine = remainder.constraints[dimension] ?? universe.full(dimension)
            let outside = universe.intersection(mine, universe.complement(set, in: dimension))
            if !universe.isEmpty(outside, in: dimension) {
                var piece = remainder
                piece.constraints[dimension] = outside
                pieces.append(piece)
            }
            remainder.constraints[dimension] = universe.intersection(mine, set)
        }
        return pieces
    }

    /// Drops constraints that allow every value, so equal cubes compare equal.
    func normalized(in universe: Universe) -> Cube {
        Cube(constraints.filter { !universe.isFull($0.value, in: $0.key) })
    }
}
