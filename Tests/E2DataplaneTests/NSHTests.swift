import E2Dataplane
import Foundation
import XCTest

/// NSH as tshark reads it, and decapsulation giving back the original frames.
final class NSHTests: XCTestCase {
    func testTsharkDecodesServicePathIndexAndContextHeadersAndDecapRestores() throws {
        let pool = try TestEAL.pool()
        let encapsulator = NSHEncapsulator(
            destination: [0x02, 0, 0, 0, 0, 0x0b], source: [0x02, 0, 0, 0, 0, 0x0a], servicePath: 0x123456, serviceIndex: 254,
            context: [.init(metadataClass: 0x0100, type: 0x01, value: [0x01]),
                      .init(metadataClass: 0xfff0, type: 0x2a, value: [0xde, 0xad, 0xbe, 0xef, 0x42])])
        let frames = (0..<16).map { CraftedPacket.udp(length: 60 + $0 * 20, seed: UInt8($0), destinationPort: UInt16(5000 + $0)) }
        var burst = PacketBurst(capacity: 16)
        XCTAssertTrue(burst.allocate(frames.count, from: pool))
        for (index, frame) in frames.enumerated() {
            XCTAssertTrue(PacketBytes.fill(burst[index], with: frame))
            XCTAssertTrue(encapsulator.encapsulate(burst[index]))
        }
        let encapsulated = (0..<burst.count).map { PacketBytes.copy(of: burst[$0]) }
        XCTAssertEqual(encapsulated[0].count, frames[0].count + encapsulator.template.count)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("e2-nsh-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("nsh.pcap").path
        try PcapFiles.write(encapsulated, to: file)
        let lines = try Self.tshark(file, ["nsh.spi", "nsh.si", "nsh.ttl", "nsh.metadataclass", "nsh.metadatatype", "nsh.metadata", "udp.dstport"])
        XCTAssertEqual(lines.count, frames.count)
        for (index, line) in lines.enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            // tshark prints the service path, classes and types in decimal, the TTL in hex.
            XCTAssertEqual(fields[0], String(0x123456), line)
            XCTAssertEqual(fields[1], "254", line)
            XCTAssertEqual(fields[2], "0x003f", line)
            XCTAssertEqual(fields[3], "\(0x0100),\(0xfff0)", line)
            XCTAssertEqual(fields[4], "1,\(0x2a)", line)
            XCTAssertEqual(fields[5].replacingOccurrences(of: ":", with: ""), "01,deadbeef42", line)
            XCTAssertEqual(fields[6], String(5000 + index), "tshark reads the inner frame: \(line)")
        }

        for index in 0..<burst.count {
            let header = try XCTUnwrap(NSHDecapsulator.decapsulate(burst[index]))
            XCTAssertEqual(header, .init(servicePath: 0x123456, serviceIndex: 254, ttl: 63, contextLength: 8 + 12))
            XCTAssertEqual(PacketBytes.copy(of: burst[index]), frames[index], "decap gives back the original bytes")
            XCTAssertNil(NSHDecapsulator.decapsulate(burst[index]), "a plain frame is not NSH")
        }
    }

    /// tshark's fields, one line per packet, tab-separated.
    static func tshark(_ file: String, _ fields: [String]) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tshark")
        process.arguments = ["-r", file, "-T", "fields"] + fields.flatMap { ["-e", $0] }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.split(separator: "\n").map(String.init)
    }
}
