import E2Engine
import Foundation
import XCTest

final class PolicyJSONTests: XCTestCase {
    static let examples = ["fig2-ids.e2", "fig13-bng.e2", "fig14-nat-fw-proxy.e2", "fig16-ratelimiter.e2"]

    func testTextAndJSONRoundTripForEveryExample() throws {
        let catalog = try NFCatalog.decode(json: try Fixtures.example("nfs.json"))
        for name in Self.examples {
            let text = String(decoding: try Fixtures.example(name), as: UTF8.self)
            let json = PolicyJSON(try PolicyParser.parse(text, file: name))
            let encoded = try JSONEncoder().encode(json)
            let decoded = try JSONDecoder().decode(PolicyJSON.self, from: encoded)
            XCTAssertEqual(decoded, json, name)
            XCTAssertEqual(decoded.problems(), [], name)
            let again = PolicyJSON(try PolicyParser.parse(decoded.text(), file: name))
            XCTAssertEqual(again, json, "text -> JSON -> text -> JSON is stable for \(name)")

            // Both forms give the same pGraph.
            let fromText = PolicyChecker.check([.init(name: name, text: text)], catalog: catalog).graph
            let fromJSON = PolicyChecker.check([.init(name: name, text: decoded.text())], catalog: catalog).graph
            XCTAssertEqual(fromText?.edges.map { [$0.from, $0.to, $0.finalFilter ?? "", $0.input ?? ""] },
                           fromJSON?.edges.map { [$0.from, $0.to, $0.finalFilter ?? "", $0.input ?? ""] }, name)
            XCTAssertEqual(fromText?.edges.map(\.bandwidthBps), fromJSON?.edges.map(\.bandwidthBps), name)
        }
    }

    func testBandwidthsKeepTheirValue() {
        for bps in [7.2e9, 1.5e9, 1200e6, 100, 2.5, 64e3] {
            let policy = PolicyJSON(declarations: [.init(name: "n", type: "NAT"), .init(name: "a", ports: [1, 1])],
                                    pipelets: [.init(edges: [.init(from: "a", to: "n", bandwidthBps: bps)])])
            XCTAssertEqual(try PolicyParser.parse(policy.text(), file: "x").pipelets[0].edges[0].bandwidth, bps)
        }
    }

    func testMalformedJSONIsNamedByPath() {
        let policy = PolicyJSON(
            declarations: [.init(name: "n", type: "NAT", ports: [1, 2]), .init(name: "bad name", address: "10.0.0.0/8"), .init(name: "p", ports: [3])],
            pipelets: [.init(edges: [.init(from: "a", to: "n", filter: "tcp] -> x; [udp"), .init(from: "a", to: "n;", bandwidthBps: -1)])])
        XCTAssertEqual(policy.problems().map(\.path), [
            "$.declarations[0]", "$.declarations[1].name", "$.declarations[2].ports",
            "$.pipelets[0].edges[0].filter", "$.pipelets[0].edges[1].to", "$.pipelets[0].edges[1].bandwidthBps",
        ])
    }
}
