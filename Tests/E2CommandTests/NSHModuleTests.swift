import E2Dataplane
import Foundation
import XCTest

/// NSH between servers: what E2D's encapsulation module writes, decoded by tshark, and the
/// decapsulation module giving back the original frames with their metadata tags.
final class NSHModuleTests: XCTestCase {
    func testEncapsulatedTrafficDecodesInTsharkAndDecapsulationRestoresFramesAndTags() throws {
        // in -> set tag slot 2 = 7 -> NSH encap -> tee: gate 0 to nsh.pcap, gate 1 -> strip ->
        // steer by service path ->  decap ->
        // match slot 2 == 7 -> back.pcap (a mismatch would go to the drop module).
        let e2d = try RunningDataplane(configuration: """
            {"ports": [{"name": "in", "device": "net_pcap_in", "args": "rx_pcap=DIR/in.pcap"},
                       {"name": "nsh", "device": "net_pcap_nsh", "args": "rx_pcap=DIR/empty.pcap,tx_pcap=DIR/nsh.pcap"},
                       {"name": "back", "device": "net_pcap_back", "args": "rx_pcap=DIR/empty.pcap,tx_pcap=DIR/back.pcap"}],
             "modules": [{"name": "rx", "type": "input", "port": "in"},
                         {"name": "tag", "type": "tagSet", "slot": 2, "value": 7},
                         {"name": "encap", "type": "nshEncap", "servicePath": 4242, "serviceIndex": 254,
                          "destination": "02:00:00:00:00:bb", "source": "02:00:00:00:00:aa"},
                         {"name": "copy", "type": "tee", "gates": 2},
                         {"name": "toWire", "type": "output", "port": "nsh"},
                         {"name": "decap", "type": "nshDecap"},
                         {"name": "strip", "type": "tagStrip"},
                         {"name": "path", "type": "nshSteer", "servicePaths": [17, 4242]},
                         {"name": "check", "type": "tagMatch", "slot": 2, "values": [7]},
                         {"name": "toBack", "type": "output", "port": "back"},
                         {"name": "mismatch", "type": "drop"}],
             "links": [{"from": "rx", "to": "tag"}, {"from": "tag", "to": "encap"}, {"from": "encap", "to": "copy"},
                       {"from": "copy:0", "to": "toWire"}, {"from": "copy:1", "to": "strip"}, {"from": "strip", "to": "path"},
                       {"from": "path:1", "to": "decap"}, {"from": "path:0", "to": "mismatch"}, {"from": "path:2", "to": "mismatch"},
                       {"from": "decap:0", "to": "check"}, {"from": "decap:1", "to": "mismatch"},
                       {"from": "check:0", "to": "toBack"}, {"from": "check:1", "to": "mismatch"}]}
            """, prepare: { directory in
                try UDPPcap.write(directory + "/in.pcap", count: 100, flows: 4)
                try UDPPcap.writeEmpty(directory + "/empty.pcap")
            })
        UDPPcap.waitUntilStill(e2d.path("back.pcap"), minimum: 24 + 100 * 16)
        let statistics = try e2d.stop()
        let modules = try XCTUnwrap(statistics["modules"] as? [String: [String: Any]])
        XCTAssertEqual(modules["check"]?["gates"] as? [Int], [100, 0], "every packet's tag came back through NSH (the strip module cleared it first)")
        XCTAssertEqual(modules["path"]?["gates"] as? [Int], [0, 100, 0], "steered by service path 4242")
        XCTAssertEqual(statistics["droppedByPolicy"] as? Int, 0)

        // tshark reads the service path, index and the tag's MD type 2 context header.
        let fields = try ToolOutput.of("/usr/bin/tshark", [
            "-r", e2d.path("nsh.pcap"), "-T", "fields", "-E", "separator=,",
            "-e", "eth.type", "-e", "nsh.mdtype", "-e", "nsh.spi", "-e", "nsh.si", "-e", "nsh.metadataclass", "-e", "nsh.metadatatype",
            "-e", "nsh.metadatalen", "-e", "nsh.metadata", "-e", "nsh.nextproto", "-e", "udp.dstport"])
        let rows = fields.split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.count, 100)
        // Outer and inner ethertypes, MD type 2, SPI, SI, class 0xfff0 (65520), type slot + 1,
        // length 1, the tag's value, next protocol Ethernet (3), and the inner UDP port.
        XCTAssertEqual(Set(rows), ["0x894f,0x0800,2,4242,254,65520,3,0x01,07,3,9"], "one row per packet, all the same")

        // Decapsulation gives back exactly what came in.
        let tcpdump = "/usr/bin/tcpdump"
        XCTAssertEqual(try ToolOutput.of(tcpdump, ["-r", e2d.path("back.pcap"), "-t", "-n", "-x"]),
                       try ToolOutput.of(tcpdump, ["-r", e2d.path("in.pcap"), "-t", "-n", "-x"]))
    }
}
