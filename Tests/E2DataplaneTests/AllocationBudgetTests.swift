import CAllocationCounter
import E2Dataplane
import E2Engine
import XCTest

/// The per-packet path allocates nothing: classifier, tags, flow steering, flow tracking (with idle expiry) and NSH over many bursts,
/// counted by the interposed malloc of CAllocationCounter. Budget: 0.
final class AllocationBudgetTests: XCTestCase {
    func testThePerPacketPathAllocatesNothing() throws {
        let pool = try TestEAL.pool()
        let classifier = try BPFClassifier(filters: ["tcp dst port 80", "udp"])
        let steering = try FlowSteering(fields: FlowKey.FieldSet(HeaderField.allCases),
                                        ranges: [.init(lower: 0, upper: 32767, gate: 0), .init(lower: 32768, upper: 65535, gate: 1)])
        let encapsulator = NSHEncapsulator(destination: [2, 0, 0, 0, 0, 2], source: [2, 0, 0, 0, 0, 1], servicePath: 7, serviceIndex: 255,
                                           context: [.init(metadataClass: 0xfff0, type: 1, value: [1])])
        let gates = UnsafeMutablePointer<UInt16>.allocate(capacity: 32)
        defer { gates.deallocate() }
        let tracker = FlowTracker(capacity: 1024)
        let tags = try MetadataTags()
        var burst = PacketBurst(capacity: 32)
        var checksum = 0

        func run(_ rounds: Int) {
            for round in 0..<rounds {
                guard burst.allocate(32, from: pool) else { return }
                for index in 0..<32 {
                    let data = ce2Fill(burst[index], port: UInt16(1000 + (round * 32 + index) % 500))
                    checksum &+= data
                }
                classifier.classify(burst, gates: gates)
                tags.set(burst, slot: 1, value: 1)
                for index in 0..<burst.count {
                    checksum &+= Int(gates[index]) &+ Int(steering.gate(for: burst[index]))
                    if let key = FlowKey(packet: burst[index]) { tracker.record(key, length: 64, now: UInt64(round)) }
                    if encapsulator.encapsulate(burst[index]), let header = NSHDecapsulator.decapsulate(burst[index]) {
                        checksum &+= Int(header.serviceIndex)
                    }
                }
                tags.strip(burst)
                tracker.expire(idle: 3, now: UInt64(round))  // idle expiry runs between bursts too
                burst.free()
            }
        }
        run(10)  // warm up: lazy initialisation is not the packet path
        let before = e2_thread_allocations()
        run(1000)
        let allocations = e2_thread_allocations() - before
        XCTAssertEqual(allocations, 0, "heap allocations on the per-packet path over 32,000 packets")
        XCTAssertNotEqual(checksum, 0)
    }

    /// Writes a UDP frame in place (no arrays): the test's own packet source must not allocate.
    private func ce2Fill(_ packet: OpaquePointer, port: UInt16) -> Int {
        PacketBytes.fillUDP(packet, sourcePort: port, destinationPort: 53)
    }
}
