import E2Dataplane
import E2Engine
import XCTest

/// `FlowKey` reads the 5-tuple where libpcap does: IPv4 and IPv6, behind a VLAN tag, and no
/// ports for later fragments or non-IP frames. Frames are built by the tests' own `WitnessPacket`.
final class FlowKeyTests: XCTestCase {
    private func key(_ witness: [String: String]) throws -> FlowKey? {
        let pool = try TestEAL.pool()
        var burst = PacketBurst(capacity: 1)
        XCTAssertTrue(burst.allocate(1, from: pool))
        defer { burst.free() }
        XCTAssertTrue(PacketBytes.fill(burst[0], with: WitnessPacket.build(witness)))
        return FlowKey(packet: burst[0])
    }

    func testIPv4BehindAVLANTag() throws {
        let found = try XCTUnwrap(key(["vlan": "42", "proto": "udp", "src ip": "10.1.2.3", "dst ip": "192.0.2.250",
                                       "src port": "40001", "dst port": "53"]))
        XCTAssertEqual(found.sourceAddress, 0x0a01_0203)
        XCTAssertEqual(found.destinationAddress, 0xc000_02fa)
        XCTAssertEqual(found.sourcePort, 40001)
        XCTAssertEqual(found.destinationPort, 53)
        XCTAssertEqual(found.transportProtocol, 17)
    }

    func testIPv6TCP() throws {
        let found = try XCTUnwrap(key(["ether proto": "ip6", "proto": "tcp", "src ip": "2001:db8::1", "dst ip": "2001:db8:ffff::8000:2",
                                       "src port": "65535", "dst port": "443"]))
        XCTAssertEqual(found.sourceAddress, IPv6Address.parse("2001:db8::1"))
        XCTAssertEqual(found.destinationAddress, IPv6Address.parse("2001:db8:ffff::8000:2"))
        XCTAssertEqual(found.sourcePort, 65535)
        XCTAssertEqual(found.destinationPort, 443)
        XCTAssertEqual(found.transportProtocol, 6)
    }

    func testLaterFragmentsHaveNoPortsAndARPHasNoKey() throws {
        let fragment = try XCTUnwrap(key(["proto": "udp", "src ip": "10.0.0.1", "dst ip": "10.0.0.2", "ip fragment offset": "1"]))
        XCTAssertEqual(fragment.transportProtocol, 17)
        XCTAssertEqual(fragment.sourcePort, 0)
        XCTAssertEqual(fragment.destinationPort, 0)
        XCTAssertNil(try key(["ether proto": "arp", "arp src": "10.0.0.1", "arp dst": "10.0.0.2"]))
    }
}
