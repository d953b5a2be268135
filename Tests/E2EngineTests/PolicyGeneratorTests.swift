import E2Engine
import XCTest

final class PolicyGeneratorTests: XCTestCase {
    func testGeneratedPoliciesAreValidAndShareNFsAcrossPipelets() throws {
        let catalog = try NFCatalog.decode(json: try Fixtures.example("nfs.json"))
        for edges in [10, 100, 300] {
            let text = PolicyGenerator.policy(edges: edges, seed: 7)
            let result = PolicyChecker.check([.init(name: "generated.e2", text: text)], catalog: catalog)
            XCTAssertEqual(result.diagnostics.filter { $0.severity == .error }.map(\.message), [], "\(edges) edges")
            let graph = try XCTUnwrap(result.graph)
            XCTAssertEqual(graph.edges.count, max(10, edges))
            if edges >= 100 {
                XCTAssertGreaterThan(graph.edges.filter { $0.ingress != nil }.count, 0, "shared NFs needed traffic classes")
            }
        }
        XCTAssertEqual(PolicyGenerator.policy(edges: 100, seed: 7), PolicyGenerator.policy(edges: 100, seed: 7), "deterministic")
    }

    func testANodeSharedByThreePipelinesIsJudgedOnTheTrafficThatReachesIt() throws {
        let catalog = try NFCatalog.decode(json: try Fixtures.example("nfs.json"))
        let text = """
            NAT n; Port<0> a; Port<1> b; Port<2> c; Port<3> out;
            pipelet { a -> n; n [tcp] -> out; n [!tcp] -> Drop; }
            pipelet { b -> n; n -> out; }
            pipelet { c -> Drop; }
            """
        let result = PolicyChecker.check([.init(name: "shared.e2", text: text)], catalog: catalog)
        XCTAssertTrue(result.isValid, "\(result.diagnostics)")
        let limited = try XCTUnwrap(result.graph).edges.filter { $0.from == "n" }.map { $0.ingress ?? [] }
        XCTAssertEqual(limited, [[], ["a"], ["b"]], "only the overlapping edges to different places are limited")
    }
}
