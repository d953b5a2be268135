/// A set of packets as a union of cubes: what a filter selects, compiled.
///
/// All operations are exact over the model of `HeaderDimension`: `isEmpty` is true only when no
/// packet is in the set, and `witness` returns a packet that is.
public struct HeaderSpace: Sendable, Equatable {
    public private(set) var cubes: [Cube]
    public let universe: Universe

    public init(cubes: [Cube], universe: Universe) {
        self.universe = universe
        self.cubes = cubes.filter { !$0.isEmpty(in: universe) }.map { $0.normalized(in: universe) }
    }

    public static func everything(in universe: Universe) -> HeaderSpace { HeaderSpace(cubes: [.everything], universe: universe) }
    public static func nothing(in universe: Universe) -> HeaderSpace { HeaderSpace(cubes: [], universe: universe) }

    /// The packets whose `dimension` lies in `set`.
    public static func constraint(_ dimension: HeaderDimension, _ set: ValueSet, in universe: Universe) -> HeaderSpace {
        HeaderSpace(cubes: [Cube([dimension: set])], universe: universe)
    }

    public var isEmpty: Bool { cubes.isEmpty }

    public func union(_ other: HeaderSpace) -> HeaderSpace {
        // Keep the cubes disjoint: add only the parts of `other` not already covered.
        var added: [Cube] = []
        for cube in other.cubes {
            var pieces = [cube]
            for mine in cubes where pieces.contains(where: { $0.intersects(mine, in: universe) }) {
                pieces = pieces.flatMap { $0.subtracting(mine, in: universe) }
            }
            added += pieces
        }
        return HeaderSpace(cubes: cubes + added, universe: universe)
    }

    public func intersection(_ other: HeaderSpace) -> HeaderSpace {
        var result: [Cube] = []
        for a in cubes {
            for b in other.cubes {
                let both = a.intersection(b, in: universe)
                if !both.isEmpty(in: universe) { result.append(both) }
            }
        }
        return HeaderSpace(cubes: result, universe: universe)
    }

    public func subtracting(_ other: HeaderSpace) -> HeaderSpace {
        var pieces = cubes
        for cube in other.cubes {
            pieces = pieces.flatMap { $0.subtracting(cube, in: universe) }
            if pieces.isEmpty { break }
        }
        return HeaderSpace(cubes: pieces, universe: universe)
    }

    public var complement: HeaderSpace { HeaderSpace.everything(in: universe).subtracting(self) }

    public func isDisjoint(with other: HeaderSpace) -> Bool {
        // Cubes are kept non-empty, so two of them meet exactly when every shared dimension does.
        !cubes.contains { a in other.cubes.contains { b in a.intersects(b, in: universe) } }
    }

    /// Whether every packet of this space is also in `other`.
    public func isSubset(of other: HeaderSpace) -> Bool { subtracting(other).isEmpty }
}

extension HeaderSpace {
    /// Whether the packet at `point` is in the space. Numeric coordinates missing from the
    /// point count as 0; a name-valued one missing counts as no name at all.
    public func contains(numbers: [HeaderDimension: UInt128], names: [HeaderDimension: String] = [:]) -> Bool {
        cubes.contains { cube in
            cube.constraints.allSatisfy { dimension, set in
                switch set {
                case .numbers(let values): values.contains(numbers[dimension] ?? 0)
                case .symbols(let values): names[dimension].map { values.contains($0) } ?? values.isComplement
                }
            }
        }
    }
}
