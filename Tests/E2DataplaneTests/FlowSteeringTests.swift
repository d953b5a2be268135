import E2Dataplane
import E2Engine
import XCTest

/// Flow-ID steering and migration avoidance on real mbufs.
final class FlowSteeringTests: XCTestCase {
    static let fiveTuple = FlowKey.FieldSet(HeaderField.allCases)

    /// Ranges for `count` instances, as the iGraph cuts them.
    func ranges(_ count: Int) -> [FlowSteering.Range] {
        (0..<count).map { index in
            let (lower, upper) = InstanceGraph.range(index, of: count)
            return FlowSteering.Range(lower: UInt16(lower), upper: UInt16(upper), gate: UInt16(index))
        }
    }

    /// Gates of one packet per flow `ports`, through mbufs.
    func gates(_ steering: FlowSteering, ports: Range<Int>, pool: PacketPool) -> [UInt16] {
        var result: [UInt16] = []
        for start in stride(from: ports.lowerBound, to: ports.upperBound, by: 32) {
            let flows = Array(start..<min(start + 32, ports.upperBound))
            var burst = PacketBurst(capacity: 32)
            XCTAssertTrue(burst.allocate(flows.count, from: pool))
            for (index, port) in flows.enumerated() {
                XCTAssertTrue(PacketBytes.fill(burst[index], with: CraftedPacket.udp(length: 64, seed: 7, sourcePort: UInt16(port), destinationPort: 53)))
                result.append(steering.gate(for: burst[index]))
            }
            burst.free()
        }
        return result
    }

    func testFlowsFollowTheirRangeAndSplitsKeepActiveFlowsByExceptions() throws {
        let pool = try TestEAL.pool()
        let steering = try FlowSteering(fields: Self.fiveTuple, ranges: ranges(1))
        let old = 1000..<1400, new = 2000..<2400
        XCTAssertEqual(Set(gates(steering, ports: old, pool: pool)), [0], "one instance takes everything")

        // The NF splits in two. Flows already active are pinned where they are.
        let before = gates(steering, ports: old, pool: pool)
        var pinned = 0
        for (offset, port) in old.enumerated() {
            var key = FlowKey()
            var burst = PacketBurst(capacity: 1)
            XCTAssertTrue(burst.allocate(1, from: pool))
            XCTAssertTrue(PacketBytes.fill(burst[0], with: CraftedPacket.udp(length: 64, seed: 7, sourcePort: UInt16(port), destinationPort: 53)))
            key = try XCTUnwrap(FlowKey(packet: burst[0]))
            burst.free()
            XCTAssertTrue(steering.addException(key, gate: before[offset]))
            pinned += 1
        }
        try steering.setRanges(ranges(2))
        XCTAssertEqual(steering.exceptionCount, pinned)
        XCTAssertEqual(gates(steering, ports: old, pool: pool), before, "active flows stay on their instance")
        let newGates = gates(steering, ports: new, pool: pool)
        XCTAssertEqual(Set(newGates), [0, 1], "new flows use both instances")
        XCTAssertGreaterThan(newGates.filter { $0 == 1 }.count, 100, "about half the new flows go to the new instance")

        // Each packet's gate is its flow ID's range: check against the flow ID directly.
        var burst = PacketBurst(capacity: 1)
        XCTAssertTrue(burst.allocate(1, from: pool))
        XCTAssertTrue(PacketBytes.fill(burst[0], with: CraftedPacket.udp(length: 64, seed: 7, sourcePort: 2000, destinationPort: 53)))
        let key = try XCTUnwrap(FlowKey(packet: burst[0]))
        XCTAssertEqual(steering.gate(for: burst[0]), key.flowID(over: Self.fiveTuple) < 32768 ? 0 : 1)
        burst.free()

        // Once the old flows end, their exceptions go and they would follow the ranges too.
        for port in old {
            var probe = PacketBurst(capacity: 1)
            XCTAssertTrue(probe.allocate(1, from: pool))
            XCTAssertTrue(PacketBytes.fill(probe[0], with: CraftedPacket.udp(length: 64, seed: 7, sourcePort: UInt16(port), destinationPort: 53)))
            steering.removeException(try XCTUnwrap(FlowKey(packet: probe[0])))
            probe.free()
        }
        XCTAssertEqual(steering.exceptionCount, 0)
        XCTAssertEqual(Set(gates(steering, ports: old, pool: pool)), [0, 1])
    }

    func testRangesMustCoverEveryFlowIDOnce() throws {
        XCTAssertThrowsError(try FlowSteering(fields: Self.fiveTuple, ranges: [.init(lower: 0, upper: 100, gate: 0)])) { error in
            XCTAssertTrue("\(error)".contains("101-65535 is not covered"), "\(error)")
        }
        XCTAssertThrowsError(try FlowSteering(fields: Self.fiveTuple, ranges: [.init(lower: 0, upper: 40000, gate: 0), .init(lower: 30000, upper: 65535, gate: 1)])) { error in
            XCTAssertTrue("\(error)".contains("covered twice"), "\(error)")
        }
    }

    func testAffinityFieldsDecideWhatStaysTogether() throws {
        let pool = try TestEAL.pool()
        // Hashing on the source address only: every port of one host goes to one instance.
        let bySource = try FlowSteering(fields: FlowKey.FieldSet([.sourceAddress]), ranges: ranges(4))
        XCTAssertEqual(Set(gates(bySource, ports: 1000..<1200, pool: pool)).count, 1)
        let byTuple = try FlowSteering(fields: Self.fiveTuple, ranges: ranges(4))
        XCTAssertEqual(Set(gates(byTuple, ports: 1000..<1200, pool: pool)).count, 4)
    }
}
