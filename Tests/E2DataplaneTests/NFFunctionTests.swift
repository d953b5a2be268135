import CE2DPDK
import E2Dataplane
import E2NF
import Foundation
import XCTest

/// The native NFs' packet functions on real mbufs: NAT, firewall, IDS and VPN gateway.
final class NFFunctionTests: XCTestCase {
    /// A UDP or TCP frame from `source`:`sourcePort` to `destination`:`destinationPort` with a
    /// correct IPv4 and transport checksum.
    static func frame(_ source: [UInt8], _ sourcePort: UInt16, _ destination: [UInt8], _ destinationPort: UInt16,
                      proto: UInt8 = 17, payload: [UInt8] = Array("hello".utf8)) -> [UInt8] {
        let l4Length = (proto == 6 ? 20 : 8) + payload.count
        var ip: [UInt8] = [0x45, 0, UInt8((20 + l4Length) >> 8), UInt8((20 + l4Length) & 0xff), 0, 1, 0x40, 0, 64, proto, 0, 0] + source + destination
        let checksum = CraftedPacket.internetChecksum(ip)
        ip[10] = UInt8(checksum >> 8); ip[11] = UInt8(checksum & 0xff)
        var l4: [UInt8] = [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xff)]
        if proto == 6 { l4 += [0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0] } else { l4 += [UInt8(l4Length >> 8), UInt8(l4Length & 0xff), 0, 0] }
        l4 += payload
        let sum = transportChecksum(source: source, destination: destination, proto: proto, segment: l4)
        let at = proto == 6 ? 16 : 6
        l4[at] = UInt8(sum >> 8); l4[at + 1] = UInt8(sum & 0xff)
        return [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0] + ip + l4
    }

    static func transportChecksum(source: [UInt8], destination: [UInt8], proto: UInt8, segment: [UInt8]) -> UInt16 {
        CraftedPacket.internetChecksum(source + destination + [0, proto, UInt8(segment.count >> 8), UInt8(segment.count & 0xff)] + segment)
    }

    /// Whether a frame's IPv4 header and transport checksums verify (a sum of all ones).
    static func checksumsVerify(_ frame: [UInt8]) -> Bool {
        let ip = Array(frame[14..<34])
        let segment = Array(frame[34...])
        return CraftedPacket.internetChecksum(ip) == 0
            && CraftedPacket.internetChecksum(Array(ip[12..<16]) + Array(ip[16..<20]) + [0, ip[9], UInt8(segment.count >> 8), UInt8(segment.count & 0xff)] + segment) == 0
    }

    func withPacket<T>(_ bytes: [UInt8], _ body: (OpaquePointer) throws -> T) throws -> T {
        var burst = PacketBurst(capacity: 1)
        XCTAssertTrue(burst.allocate(1, from: try TestEAL.pool()))
        XCTAssertTrue(PacketBytes.fill(burst[0], with: bytes))
        return try body(burst[0])
    }

    func testNATTranslatesBothWaysKeepsFlowsAndChecksums() throws {
        var nat = NAT(inside: 0x0A0C_1E00, prefixLength: 24, publicAddress: 0x8372_585C)  // 10.12.30.0/24 -> 131.114.88.92
        try TestEAL.start()
        let tags = try MetadataTags()
        let outbound = Self.frame([10, 12, 30, 5], 40000, [8, 8, 8, 8], 53)
        func translate(_ frame: [UInt8]) throws -> (Int?, [UInt8]) {
            try withPacket(frame) { packet in (nat.handle(packet, tags: tags, now: 0), PacketBytes.copy(of: packet)) }
        }
        let (gate, translated) = try translate(outbound)
        XCTAssertEqual(gate, 0)
        XCTAssertEqual(try translate(outbound).1, translated, "the flow's second packet gets the same translation")
        XCTAssertEqual(Array(translated[26..<30]), [131, 114, 88, 92])
        XCTAssertEqual(Array(translated[34..<36]), [4, 0], "the flow's port, 1024")
        XCTAssertTrue(Self.checksumsVerify(translated))
        XCTAssertTrue(Self.checksumsVerify(outbound))
        // A second flow gets the next port; the reply to the first comes back inside.
        let second = try withPacket(Self.frame([10, 12, 30, 6], 40000, [8, 8, 8, 8], 53, proto: 6)) { packet -> [UInt8] in
            XCTAssertEqual(nat.handle(packet, tags: tags, now: 0), 0)
            return PacketBytes.copy(of: packet)
        }
        XCTAssertEqual(Array(second[34..<36]), [4, 1])
        XCTAssertTrue(Self.checksumsVerify(second))
        let reply = try withPacket(Self.frame([8, 8, 8, 8], 53, [131, 114, 88, 92], 1024)) { packet -> [UInt8] in
            XCTAssertEqual(nat.handle(packet, tags: tags, now: 0), 0)
            return PacketBytes.copy(of: packet)
        }
        XCTAssertEqual(Array(reply[30..<34]), [10, 12, 30, 5])
        XCTAssertEqual(Array(reply[36..<38]), [0x9c, 0x40], "back to port 40000")
        XCTAssertTrue(Self.checksumsVerify(reply))
        // Unknown traffic to the public address is dropped.
        XCTAssertNil(try withPacket(Self.frame([8, 8, 4, 4], 53, [131, 114, 88, 92], 1024)) { nat.handle($0, tags: tags, now: 0) })
    }

    func testTheFirewallJudgesAFlowByItsFirstPacketInBothDirections() throws {
        var firewall = Firewall(allowedPorts: [80, 53])
        try TestEAL.start()
        let tags = try MetadataTags()
        func verdict(_ frame: [UInt8]) throws -> Int? { try withPacket(frame) { firewall.handle($0, tags: tags, now: 0) } }
        XCTAssertEqual(try verdict(Self.frame([10, 0, 0, 1], 5000, [192, 0, 2, 1], 80, proto: 6)), 0)
        XCTAssertEqual(try verdict(Self.frame([192, 0, 2, 1], 80, [10, 0, 0, 1], 5000, proto: 6)), 0, "the reply of a safe flow")
        XCTAssertEqual(try verdict(Self.frame([10, 0, 0, 1], 5001, [192, 0, 2, 1], 23, proto: 6)), 1)
        XCTAssertEqual(try verdict(Self.frame([192, 0, 2, 1], 23, [10, 0, 0, 1], 5001, proto: 6)), 1, "the reply of an unsafe flow")
        XCTAssertEqual(try verdict([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 6] + Array(repeating: 0, count: 46)), 1, "ARP is unsafe")
    }

    func testTheIDSTagsPacketsByItsSignature() throws {
        var ids = IDS(signature: Array("attack".utf8), slot: 3)
        try TestEAL.start()
        let tags = try MetadataTags()
        for (payload, expected) in [("an attack here", UInt8(2)), ("all quiet", UInt8(1)), ("attac", UInt8(1))] {
            let value = try withPacket(Self.frame([10, 0, 0, 1], 1, [10, 0, 0, 2], 2, payload: Array(payload.utf8))) { packet -> UInt8 in
                tags.set(packet, slot: 3, value: 0)
                XCTAssertEqual(ids.handle(packet, tags: tags, now: 0), 0)
                return tags.value(packet, slot: 3)
            }
            XCTAssertEqual(value, expected, payload)
        }
    }

    func testTheVPNGatewaySendsESPThatAnIndependentAESGCMDecrypts() throws {
        let key = (0..<16).map { UInt8($0 * 3) }, salt: [UInt8] = [0xde, 0xad, 0xbe, 0xef]
        var vpn = try VPNGateway(key: key, salt: salt, spi: 0x1000, tunnelSource: 0xC633_6401, tunnelDestination: 0xC633_6402)
        try TestEAL.start()
        let tags = try MetadataTags()
        let original = Self.frame([10, 0, 0, 1], 1234, [192, 0, 2, 9], 80, payload: Array("secret payload".utf8))
        let sent = try withPacket(original) { packet -> [UInt8] in
            XCTAssertEqual(vpn.handle(packet, tags: tags, now: 0), 0)
            return PacketBytes.copy(of: packet)
        }
        XCTAssertEqual(sent[23], 50, "ESP")
        XCTAssertEqual(Array(sent[26..<34]), [198, 51, 100, 1, 198, 51, 100, 2])
        XCTAssertEqual(CraftedPacket.internetChecksum(Array(sent[14..<34])), 0)
        XCTAssertFalse(sent.indices.contains { sent[$0...].starts(with: Array("secret".utf8)) }, "the payload is not in clear")
        // Python's cryptography (AES-GCM) decrypts it with the key: the inner packet comes back.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let python = root.appendingPathComponent(".venv/bin/python").path
        let script = """
            import sys
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
            frame = bytes.fromhex(sys.argv[1]); key = bytes.fromhex(sys.argv[2]); salt = bytes.fromhex(sys.argv[3])
            esp = frame[34:42]; iv = frame[42:50]
            plain = AESGCM(key).decrypt(salt + iv, frame[50:], esp)
            pad, nxt = plain[-2], plain[-1]
            print(plain[:len(plain) - 2 - pad].hex(), nxt)
            """
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        let output = try runTool(python, ["-c", script, hex(sent), hex(key), hex(salt)])
        XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), hex(Array(original[14...])) + " 4")
    }

    func runTool(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return String(decoding: data, as: UTF8.self)
    }
}
