import E2Engine
import XCTest

final class PolicyCheckerTests: XCTestCase {
    var catalog: NFCatalog!

    override func setUpWithError() throws {
        catalog = try NFCatalog.decode(json: try Fixtures.example("nfs.json"))
    }

    func check(_ names: String...) throws -> PolicyChecker.Result {
        let files = try names.map { name in
            PolicyChecker.SourceFile(name: name, text: String(decoding: try Fixtures.example(name), as: UTF8.self))
        }
        return PolicyChecker.check(files, catalog: catalog)
    }

    func testTheFourSharedExamplesAreValid() throws {
        for name in ["fig2-ids.e2", "fig13-bng.e2", "fig14-nat-fw-proxy.e2", "fig16-ratelimiter.e2"] {
            let result = try check(name)
            XCTAssertEqual(result.diagnostics.filter { $0.severity == .error }, [], name)
            XCTAssertNotNil(result.graph, name)
        }
    }

    func testFigure14LimitsTheNATsEdgeToTrafficFromTheInternalPorts() throws {
        let graph = try XCTUnwrap(try check("fig14-nat-fw-proxy.e2").graph)
        let natToFirewall = try XCTUnwrap(graph.edges.first { $0.from == "n" && $0.to == "f" })
        XCTAssertEqual(natToFirewall.ingress, ["int"])
        XCTAssertEqual(natToFirewall.finalFilter, "ingress int")
        XCTAssertEqual(natToFirewall.pipelet, 0)
        let natToProxy = try XCTUnwrap(graph.edges.first { $0.from == "n" && $0.to == "p" })
        XCTAssertEqual(natToProxy.ingress, ["ext"])
        XCTAssertNil(graph.edges.first { $0.from == "int" && $0.to == "p" }?.ingress, "edges without overlap stay as written")
        XCTAssertEqual(graph.nodes.map(\.name), ["p", "n", "f", "int", "ext", "Drop"])
    }

    func testFigure14WithoutItsAddedDropIsMissingADestinationForTrafficFromExt() throws {
        let text = String(decoding: try Fixtures.example("fig14-nat-fw-proxy.e2"), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("-> Drop;  //") }.joined(separator: "\n")
        let result = PolicyChecker.check([.init(name: "fig14.e2", text: text)], catalog: catalog)
        XCTAssertFalse(result.isValid)
        let diagnostic = try XCTUnwrap(result.diagnostics.first)
        XCTAssertEqual(result.diagnostics.count, 1)
        XCTAssertEqual(diagnostic.code, .missingDestination)
        XCTAssertEqual(diagnostic.node, "n")
        XCTAssertEqual(diagnostic.witness?["ingress"], "ext")
        let destination = try XCTUnwrap(diagnostic.witness?["dst ip"])
        XCTAssertFalse(destination.hasPrefix("10.12.30."), "the witness is not for my_net: \(destination)")
        XCTAssertEqual(diagnostic.edges?.count, 3, "the edges leaving n")
    }

    func testFigure16ResolvesFilterInThroughTheNFDescription() throws {
        let graph = try XCTUnwrap(try check("fig16-ratelimiter.e2").graph)
        XCTAssertEqual(graph.edges.filter { $0.to == "r" }.map(\.input), ["vp0", "vp1"])
        XCTAssertEqual(graph.edges.filter { $0.to == "r" }.map(\.filterIn), ["prio0", "prio1"])
    }

    func testBandwidthsAreKeptInBitsPerSecond() throws {
        let graph = try XCTUnwrap(try check("fig13-bng.e2").graph)
        XCTAssertEqual(graph.edges.first { $0.from == "subscribers" }?.bandwidthBps, 7.2e9)
        let fig2 = try XCTUnwrap(try check("fig2-ids.e2").graph)
        XCTAssertEqual(fig2.edges.first { $0.to == "cache" }?.bandwidthBps, 1.2e9)
    }

    func testPipeletsMayComeFromSeveralFiles() throws {
        let declarations = "NAT n;\nPort<0-1> a;\nPort<2-3> b;\n"
        let pipelet = "pipelet { a -> n; n -> b; }\n"
        let result = PolicyChecker.check([.init(name: "decl.e2", text: declarations), .init(name: "p.e2", text: pipelet)], catalog: catalog)
        XCTAssertTrue(result.isValid, "\(result.diagnostics)")
        XCTAssertEqual(result.graph?.edges.map(\.file), ["p.e2", "p.e2"])
    }

    func testTeeCopiesToOverlappingEdgesAndIPv6AddressesWork() throws {
        let text = """
            Tee t; IDS ids; NetMonitor mon;
            Port<0-1> in; Port<2-3> out;
            Address v6net 2001:db8::/32;
            pipelet {
              in [ip6 and src ip v6net] -> t;
              in [!(ip6 and src ip v6net)] -> Drop;
              t -> ids;          // both copies: a Tee's edges may overlap
              t [tcp] -> mon;
              ids [IDS.safe] -> out;
              ids [!IDS.safe] -> Drop;
              mon -> Drop;
            }
            """
        let result = PolicyChecker.check([.init(name: "tee.e2", text: text)], catalog: catalog)
        XCTAssertTrue(result.isValid, "\(result.diagnostics.map(\.message))")
        XCTAssertEqual(result.graph?.nodes.first { $0.name == "t" }?.kind, .tee)
    }

    func testDiagnosticsRenderWithACaret() throws {
        let result = PolicyChecker.check([.init(name: "x.e2", text: "NAT n;\nRouter r;\n")], catalog: catalog)
        let rendered = try XCTUnwrap(result.diagnostics.first { $0.code == .unknownNFType }).rendered(source: "NAT n;\nRouter r;\n")
        XCTAssertEqual(rendered.split(separator: "\n").map(String.init), [
            "x.e2:2:1: error: unknown NF type 'Router' (the NF descriptions have Proxy, NAT, FW, IDS, VPN, RateLimiter, WebCache, Normalizer, NetMonitor, Tee) [unknown-nf-type]",
            "  Router r;",
            "  ^",
        ])
    }
}
