import E2Engine
import XCTest

/// E2's filter analysis checked against libpcap on thousands of random filters and packets:
/// libpcap (the same code tcpdump runs) is the independent reader of the filter syntax.
final class PcapCrossCheckTests: XCTestCase {
    struct Case {
        let pcap: PcapFilter
        let space: HeaderSpace
    }

    static let compiler = FilterCompiler(addresses: [:], portGroups: [], catalog: NFCatalog(nfs: []))

    func makeCases(count: Int, seed: UInt64) throws -> [Case] {
        var random = SeededRandom(state: seed)
        var cases: [Case] = []
        while cases.count < count {
            let text = RandomFilter.make(&random)
            let pcap = try XCTUnwrap(PcapFilter(text), "libpcap rejects \(text)")
            let space: HeaderSpace
            do {
                space = try Self.compiler.compile(PolicyParser.parseFilter(text))
            } catch {
                XCTFail("E2 rejects '\(text)': \(error)")
                continue
            }
            if pcap.rejectsAll {
                XCTAssertTrue(space.isEmpty, "libpcap proves '\(text)' matches nothing; E2 finds \(String(describing: space.witness()))")
            }
            cases.append(Case(pcap: pcap, space: space))
        }
        return cases
    }

    static func byteDimensions(_ cases: [Case]) -> Set<HeaderDimension> {
        Set(cases.flatMap { $0.space.cubes.flatMap { $0.constraints.keys } }.filter { if case .bytes = $0 { true } else { false } })
    }

    func testMembershipAgreesWithLibpcapOnRandomPackets() throws {
        let cases = try makeCases(count: 300, seed: 1)
        var random = SeededRandom(state: 2)
        let packets = (0..<400).map { _ in RandomPacket.make(&random) }
        let dimensions = Self.byteDimensions(cases)
        let points = packets.map { PacketPoint.numbers(of: $0, byteDimensions: dimensions) }
        var failures = 0
        var matches = 0
        for item in cases {
            for (packet, point) in zip(packets, points) {
                let expected = item.pcap.matches(packet)
                if expected { matches += 1 }
                if item.space.contains(numbers: point) != expected {
                    failures += 1
                    if failures <= 5 {
                        XCTFail("'\(item.pcap.text)': libpcap says \(expected) for \(packet.prefix(96).map { String(format: "%02x", $0) }.joined())")
                    }
                }
            }
        }
        XCTAssertEqual(failures, 0)
        XCTAssertGreaterThan(matches, cases.count * packets.count / 20, "the random packets hit the random filters often enough to mean something")
    }

    func testDisjointFiltersNeverBothMatchAndWitnessesMatchBoth() throws {
        let cases = try makeCases(count: 200, seed: 3)
        var random = SeededRandom(state: 4)
        let packets = (0..<300).map { _ in RandomPacket.make(&random) }
        let verdicts = cases.map { item in packets.map { item.pcap.matches($0) } }
        var disjoint = 0, overlapping = 0
        for _ in 0..<3000 {
            let a = Int.random(in: 0..<cases.count, using: &random), b = Int.random(in: 0..<cases.count, using: &random)
            let both = cases[a].space.intersection(cases[b].space)
            if both.isEmpty {
                disjoint += 1
                if let index = packets.indices.first(where: { verdicts[a][$0] && verdicts[b][$0] }) {
                    XCTFail("E2 says '\(cases[a].pcap.text)' and '\(cases[b].pcap.text)' are disjoint; libpcap matches both on \(packets[index].prefix(96))")
                    return
                }
            } else {
                overlapping += 1
                let witness = try XCTUnwrap(both.witness())
                let frame = WitnessPacket.build(witness)
                guard cases[a].pcap.matches(frame) && cases[b].pcap.matches(frame) else {
                    XCTFail("witness \(witness) of '\(cases[a].pcap.text)' and '\(cases[b].pcap.text)' is not matched by both under libpcap")
                    return
                }
            }
        }
        XCTAssertGreaterThan(disjoint, 100, "enough disjoint pairs to test")
        XCTAssertGreaterThan(overlapping, 100, "enough overlapping pairs to test")
    }
}
