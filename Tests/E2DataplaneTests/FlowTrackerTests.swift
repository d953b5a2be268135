import E2Dataplane
import XCTest

final class FlowTrackerTests: XCTestCase {
    func key(_ port: Int) -> FlowKey {
        var key = FlowKey()
        key.sourceAddress = 0x0a00_0001
        key.destinationAddress = 0xc000_0207
        key.sourcePort = UInt16(port)
        key.destinationPort = 53
        key.transportProtocol = 17
        return key
    }

    func testCountsFlowsAndExpiresIdleOnes() {
        let tracker = FlowTracker(capacity: 1024)
        for round in 0..<3 {
            for port in 0..<100 { tracker.record(key(port), length: 64 + round, now: UInt64(1000 * round + port)) }
        }
        XCTAssertEqual(tracker.activeFlows, 100)
        XCTAssertEqual(tracker.flow(key(7)), FlowTracker.Flow(packets: 3, bytes: 64 + 65 + 66, firstSeen: 7, lastSeen: 2007))
        // Flows 50-99 speak again later; the first 50 fall idle.
        for port in 50..<100 { tracker.record(key(port), length: 64, now: 10_000) }
        XCTAssertEqual(tracker.expire(idle: 5000, now: 10_500), 50)
        XCTAssertEqual(tracker.activeFlows, 50)
        XCTAssertNil(tracker.flow(key(7)))
        XCTAssertEqual(tracker.flow(key(70))?.packets, 4)
        XCTAssertEqual(Set(tracker.flows.map { Int($0.key.sourcePort) }), Set(50..<100))
        XCTAssertEqual(tracker.expired, 50)
    }

    func testAFullTableCountsWhatItCannotTrack() {
        let tracker = FlowTracker(capacity: 16)
        for port in 0..<20 { tracker.record(key(port), length: 64, now: 1) }
        XCTAssertEqual(tracker.activeFlows, 16)
        XCTAssertEqual(tracker.untracked, 4)
    }

    /// The table against a Dictionary under random inserts and removals with heavy collisions.
    func testFlowTableMatchesADictionary() {
        let table = FlowTable(capacity: 64)
        var model: [FlowKey: FlowTable.Value] = [:]
        var state: UInt64 = 5
        for step in 0..<5000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let flow = key(Int(state >> 33) % 90)
            if (state >> 20) % 3 == 0 {
                table.remove(flow)
                model[flow] = nil
            } else if model[flow] != nil || model.count < 64 {
                XCTAssertTrue(table.set(flow, .init(UInt64(step))))
                model[flow] = .init(UInt64(step))
            }
            XCTAssertEqual(table.count, model.count)
        }
        for port in 0..<90 { XCTAssertEqual(table[key(port)], model[key(port)], "port \(port)") }
    }
}
