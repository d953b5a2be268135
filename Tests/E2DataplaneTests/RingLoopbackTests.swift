import E2Dataplane
import XCTest

/// Proves the DPDK shim is real: the EAL starts, a port is configured, packets go round.
final class RingLoopbackTests: XCTestCase {
    func testABurstOfCraftedPacketsComesBackIntact() throws {
        let pool = try TestEAL.pool()
        let port = try TestEAL.ringPort()
        let statsBefore = try port.statistics()
        let freeBefore = pool.available

        let frames = (0..<32).map { CraftedPacket.udp(length: 60 + $0 * 45, seed: UInt8($0)) }
        var outgoing = PacketBurst(capacity: 32)
        XCTAssertTrue(outgoing.allocate(frames.count, from: pool))
        for (index, frame) in frames.enumerated() {
            XCTAssertTrue(PacketBytes.fill(outgoing[index], with: frame), "frame \(index) of \(frame.count) bytes fits")
        }
        XCTAssertEqual(port.send(&outgoing), 32)

        var incoming = PacketBurst(capacity: 64)
        XCTAssertEqual(port.receive(into: &incoming), 32)
        for index in 0..<incoming.count {
            XCTAssertEqual(PacketBytes.copy(of: incoming[index]), frames[index], "packet \(index) differs")
        }
        incoming.free()
        XCTAssertEqual(pool.available, freeBefore, "every buffer went back to the pool")

        let stats = try port.statistics()
        XCTAssertEqual(stats.opackets - statsBefore.opackets, 32)
        XCTAssertEqual(stats.ipackets - statsBefore.ipackets, 32)
    }

    func testAnEmptyRingGivesNothing() throws {
        let port = try TestEAL.ringPort()
        var incoming = PacketBurst()
        XCTAssertEqual(port.receive(into: &incoming), 0)
    }

    func testAMissingPortIsNamedInTheError() throws {
        let pool = try TestEAL.pool()
        XCTAssertThrowsError(try EthernetPort(named: "net_ring9", pool: pool)) { error in
            XCTAssertTrue("\(error)".contains("no DPDK port named net_ring9"), "\(error)")
        }
    }

    func testTheEALRefusesToStartTwiceWithOtherOptions() throws {
        try TestEAL.start()
        var other = TestEAL.options
        other.memoryMegabytes += 1
        XCTAssertThrowsError(try EAL.start(other)) { error in
            XCTAssertTrue("\(error)".contains("already runs"), "\(error)")
        }
        XCTAssertNoThrow(try EAL.start(TestEAL.options))
    }
}
