@testable import E2Engine
import XCTest

final class HeaderSpaceTests: XCTestCase {
    let compiler = FilterCompiler(
        addresses: ["my_net": AddressPrefix(family: .ipv4, address: 0x0a0c_1e00, length: 24)],
        portGroups: ["int", "ext"], catalog: NFCatalog(nfs: [
            NFDescription(name: "FW", api: .native, inputs: ["in"], outputs: ["safe", "unsafe"],
                          attributes: ["safe": .port(valuesToOutputs: ["true": "safe", "false": "unsafe"])],
                          replicable: true, affinity: [], performance: .init(gbpsPerCorePerGHz: 1)),
            NFDescription(name: "HTTP", api: .native, inputs: ["in"], outputs: ["out"], attributes: ["url": .metadata],
                          replicable: true, affinity: [], performance: .init(gbpsPerCorePerGHz: 1)),
        ]))

    func space(_ filter: String) throws -> HeaderSpace {
        try compiler.compile(PolicyParser.parseFilter(filter))
    }

    func testIntervalSetsAreExact() {
        let a = IntervalSet(10, 20).union(IntervalSet(21, 30)).union(IntervalSet(40, 50))
        XCTAssertEqual(a.intervals.count, 2, "adjacent intervals merge")
        XCTAssertEqual(a.complement(maximum: 60).intervals.map { [$0.lower, $0.upper] }, [[0, 9], [31, 39], [51, 60]])
        XCTAssertEqual(a.intersection(IntervalSet(25, 45)).intervals.map { [$0.lower, $0.upper] }, [[25, 30], [40, 45]])
        XCTAssertTrue(IntervalSet(0, 255).isFull(maximum: 255))
        XCTAssertEqual(IntervalSet(0, UInt128.max).complement(maximum: .max), IntervalSet())
    }

    func testMaskedByteTestsEnumerateExactly() throws {
        let tos = try XCTUnwrap(IntervalSet.masked(mask: 0xfc, value: 0, width: 8))
        XCTAssertEqual(tos.intervals.map { [$0.lower, $0.upper] }, [[0, 3]])
        let syn = try XCTUnwrap(IntervalSet.masked(mask: 0x02, value: 0x02, width: 8))
        for value in UInt128(0)...255 { XCTAssertEqual(syn.contains(value), value & 2 == 2) }
        XCTAssertNil(IntervalSet.masked(mask: 1, value: 0, width: 32), "2^31 intervals are refused")
        XCTAssertEqual(IntervalSet.masked(mask: 0x0f, value: 0x10, width: 8), IntervalSet(), "value outside the mask matches nothing")
    }

    func testComplementsPartitionTheSpace() throws {
        for filter in ["dst port 80", "tcp", "host 10.0.0.1", "ip[1] & 0xfc == 0", "FW.safe", "vlan 10 and ip", "ingress int", "HTTP.url == \"/a\""] {
            let selected = try space(filter)
            XCTAssertTrue(selected.isDisjoint(with: selected.complement), filter)
            XCTAssertTrue(selected.union(selected.complement).complement.isEmpty, filter)
            XCTAssertFalse(selected.isEmpty, filter)
            XCTAssertFalse(selected.complement.isEmpty, filter)
        }
    }

    func testDisjointAndOverlappingFiltersFollowLibpcap() throws {
        XCTAssertTrue(try space("tcp").isDisjoint(with: space("udp")))
        XCTAssertTrue(try space("dst port 80").isDisjoint(with: space("!(dst port 80)")))
        XCTAssertFalse(try space("port 80").isDisjoint(with: space("udp")), "port means tcp, udp or sctp")
        XCTAssertFalse(try space("host 10.0.0.1").isDisjoint(with: space("arp")), "libpcap's host matches ARP addresses too")
        XCTAssertTrue(try space("ip host 10.0.0.1").isDisjoint(with: space("arp")))
        XCTAssertFalse(try space("tcp").isDisjoint(with: space("ip6 proto 44")), "ip6 tcp follows a fragment header")
        XCTAssertTrue(try space("port 80").isDisjoint(with: space("ip6 proto 44")), "but ip6 ports do not")
        XCTAssertTrue(try space("vlan and ip").isDisjoint(with: space("ip")), "a tagged frame is not 'ip' at offset 12")
        XCTAssertTrue(try space("dst ip my_net").isSubset(of: space("dst net 10.12.0.0/16")))
        XCTAssertTrue(try space("FW.safe").isDisjoint(with: space("!FW.safe")))
        XCTAssertTrue(try space("!FW.safe").union(space("FW.safe == false")).isSubset(of: space("!FW.safe")))
        XCTAssertFalse(try space("!(HTTP.url == \"/a\")").isDisjoint(with: space("HTTP.url == \"/b\"")))
        XCTAssertTrue(try space("less 100").isDisjoint(with: space("greater 101")))
        XCTAssertFalse(try space("less 100").isDisjoint(with: space("greater 100")), "less is <=, greater is >=")
        XCTAssertTrue(try space("tcp and (port 80 or 443)").isSubset(of: space("tcp")), "a bare value repeats the qualifiers")
    }

    func testE2sDirectionFirstSpellingMeansAnIPAddressOfEitherFamily() throws {
        XCTAssertEqual(try space("dst ip 10.0.0.1"), try space("ip dst host 10.0.0.1"))
        XCTAssertEqual(try space("src ip 2001:db8::1"), try space("ip6 src host 2001:db8::1"))
        XCTAssertEqual(try space("dst ip my_net"), try space("ip dst net 10.12.30.0/24"))
        XCTAssertNotEqual(try space("dst 10.0.0.1"), try space("ip dst 10.0.0.1"), "pcap's plain dst also matches ARP")
    }

    func testPcapPrecedenceIsLeftToRight() throws {
        // libpcap: `a or b and c` is `(a or b) and c`.
        let flat = try space("udp or tcp and dst port 80")
        XCTAssertEqual(flat, try space("(udp or tcp) and dst port 80"))
        XCTAssertNotEqual(flat, try space("udp or (tcp and dst port 80)"))
    }

    func testWitnessesAreInTheSpace() throws {
        let space = try space("tcp and dst port 443 and src ip my_net and ingress ext")
        let witness = try XCTUnwrap(space.witness())
        XCTAssertEqual(witness["proto"], "tcp")
        XCTAssertEqual(witness["dst port"], "443")
        XCTAssertEqual(witness["ingress"], "ext")
        XCTAssertEqual(witness["src ip"].map { $0.hasPrefix("10.12.30.") }, true, "\(witness)")
        XCTAssertNil(try self.space("tcp and udp").witness())
    }
}
