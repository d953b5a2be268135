import CE2DPDK
import E2Dataplane
import Foundation
import XCTest

/// The BPF classifier against tcpdump: pcap files in through net_pcap, each gate out to a
/// pcap file through net_pcap, compared packet for packet with what tcpdump selects.
final class BPFClassifierTests: XCTestCase {
    func testGatesReceiveWhatTcpdumpSelects() throws {
        try checkGates(engine: .libpcap, filters: ["tcp dst port 80", "udp or arp", "ip[1] & 0xfc == 0 and not icmp", "vlan and ip",
                                                   "net 10.0.0.0/8 and (tcp[13] & 2 != 0 or udp port 53)"], tag: "pcap")
    }

    func testDPDKsInterpreterAgreesWithTcpdumpOnTheFiltersItHandles() throws {
        // DPDK 22.11's converter gets "net 10.0.0.0/8 and (tcp[13] & 2 != 0 or udp port 53)"
        // wrong (see BPFFilter), so these are the filters it does handle.
        try checkGates(engine: .dpdk, filters: ["tcp dst port 80", "udp or arp", "ip[1] & 0xfc == 0 and not icmp", "vlan and ip"], tag: "dpdk")
    }

    func checkGates(engine: BPFFilter.Engine, filters: [String], tag: String) throws {
        let pool = try TestEAL.pool()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("e2-bpf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        var random = SeededRandom(state: 21)
        let frames = (0..<600).map { _ in RandomPacket.make(&random) }
        try PcapFiles.write(frames, to: path("in.pcap"))
        try PcapFiles.write([], to: path("empty.pcap"))

        for (index, filter) in filters.enumerated() {
            let classifier = try BPFClassifier(filters: [filter], engine: engine)
            try VirtualDevice.create("net_pcap_in\(tag)\(index)", "rx_pcap=\(path("in.pcap"))")
            try VirtualDevice.create("net_pcap_match\(tag)\(index)", "rx_pcap=\(path("empty.pcap")),tx_pcap=\(path("match\(index).pcap"))")
            try VirtualDevice.create("net_pcap_rest\(tag)\(index)", "rx_pcap=\(path("empty.pcap")),tx_pcap=\(path("rest\(index).pcap"))")
            var input: EthernetPort? = try EthernetPort(named: "net_pcap_in\(tag)\(index)", pool: pool)
            var outputs: [EthernetPort]? = [try EthernetPort(named: "net_pcap_match\(tag)\(index)", pool: pool),
                                            try EthernetPort(named: "net_pcap_rest\(tag)\(index)", pool: pool)]
            let gates = UnsafeMutablePointer<UInt16>.allocate(capacity: 32)
            defer { gates.deallocate() }
            var received = 0, idle = 0
            while idle < 50 {
                var burst = PacketBurst(capacity: 32)
                guard input!.receive(into: &burst) > 0 else { idle += 1; usleep(1000); continue }
                idle = 0
                received += burst.count
                classifier.classify(burst, gates: gates)
                var matched = PacketBurst(capacity: 32), rest = PacketBurst(capacity: 32)
                for packet in 0..<burst.count {
                    if gates[packet] == 0 {
                        matched.packets[matched.count] = burst.packets[packet]
                        matched.count += 1
                    } else {
                        rest.packets[rest.count] = burst.packets[packet]
                        rest.count += 1
                    }
                }
                burst.count = 0  // every packet moved to a gate
                let expected = (matched.count, rest.count)
                XCTAssertEqual(outputs![0].send(&matched), expected.0)
                XCTAssertEqual(outputs![1].send(&rest), expected.1)
            }
            XCTAssertEqual(received, frames.count)
            // Closing the ports flushes their pcap files.
            input = nil
            outputs = nil
            XCTAssertEqual(try PcapFiles.read(path("match\(index).pcap")), try PcapFiles.tcpdump(path("in.pcap"), filter, output: path("expected\(index).pcap")),
                           "gate 0 of '\(filter)' (\(engine))")
            XCTAssertEqual(try PcapFiles.read(path("rest\(index).pcap")), try PcapFiles.tcpdump(path("in.pcap"), "not (\(filter))", output: path("others\(index).pcap")),
                           "the default gate of '\(filter)'")
        }
    }

    func testABadFilterNamesLibpcapsReason() throws {
        _ = try TestEAL.pool()
        XCTAssertThrowsError(try BPFFilter("tcp port banana")) { error in
            XCTAssertTrue("\(error)".contains("compiling filter 'tcp port banana'"), "\(error)")
            XCTAssertTrue("\(error)".contains("banana"), "\(error)")
        }
    }
}
