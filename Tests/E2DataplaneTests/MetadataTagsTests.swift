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
}
