import E2Dataplane
import XCTest

final class MetadataTagsTests: XCTestCase {
    func testSetMatchAndStripTags() throws {
        let pool = try TestEAL.pool()
        let tags = try MetadataTags()
        var burst = PacketBurst(capacity: 8)
        XCTAssertTrue(burst.allocate(8, from: pool))
        defer { burst.free() }
        tags.strip(burst)  // buffers come from the pool with whatever the last user left
        XCTAssertEqual((0..<8).map { tags.value(burst[$0], slot: 2) }, Array(repeating: 0, count: 8))

        tags.set(burst, slot: 2, value: 1)  // IDS.safe = true, say
        tags.set(burst, slot: 5, value: 9)
        let gates = UnsafeMutablePointer<UInt16>.allocate(capacity: 8)
        defer { gates.deallocate() }
        let values: [UInt8] = [2, 1]
        values.withUnsafeBufferPointer { tags.match(burst, slot: 2, values: $0, gates: gates) }
        XCTAssertEqual((0..<8).map { gates[$0] }, Array(repeating: 1, count: 8), "value 1 is the second gate")
        XCTAssertEqual(tags.value(burst[3], slot: 5), 9, "tags do not disturb each other")
        XCTAssertEqual(tags.contextHeaders(burst[0]), [.init(metadataClass: 0xfff0, type: 3, value: [1]), .init(metadataClass: 0xfff0, type: 6, value: [9])])

        tags.strip(burst)
        values.withUnsafeBufferPointer { tags.match(burst, slot: 2, values: $0, gates: gates) }
        XCTAssertEqual(gates[0], 2, "untagged packets go to the last gate")
        XCTAssertEqual(tags.contextHeaders(burst[0]), [])
    }

    /// A native NF tags each packet from its own bytes: one packet's tag, from a payload byte.
    func testPerPacketTagFromAPayloadByte() throws {
        let pool = try TestEAL.pool()
        let tags = try MetadataTags()
        var burst = PacketBurst(capacity: 4)
        XCTAssertTrue(burst.allocate(4, from: pool))
        defer { burst.free() }
        tags.strip(burst)
        for index in 0..<4 {
            XCTAssertEqual(PacketBytes.fillUDP(burst[index], sourcePort: 1, destinationPort: 53), 64)
            XCTAssertTrue(PacketBytes.setByte(burst[index], at: 42, to: UInt8(index + 1)))
        }
        XCTAssertFalse(PacketBytes.setByte(burst[0], at: 64, to: 1), "past the frame's end")
        XCTAssertNil(PacketBytes.byte(burst[0], at: 64))
        XCTAssertEqual(PacketBytes.byte(burst[0], at: 37), 53, "the UDP destination port's low byte")

        tags.set(burst[0], slot: 3, value: 7)
        for index in 0..<4 { tags.set(burst[index], slot: 0, value: PacketBytes.byte(burst[index], at: 42)!) }
        XCTAssertEqual((0..<4).map { tags.value(burst[$0], slot: 0) }, [1, 2, 3, 4])
        XCTAssertEqual(tags.value(burst[0], slot: 3), 7, "setting one slot keeps the others")
        XCTAssertEqual(tags.value(burst[1], slot: 3), 0)
    }
}
