import E2Engine
import Foundation
import XCTest

final class NFCatalogTests: XCTestCase {
    func testDecodesTheSharedExampleAsItIs() throws {
        let catalog = try NFCatalog.decode(json: try Fixtures.example("nfs.json"))
        XCTAssertEqual(catalog.nfs.map(\.name), ["Proxy", "NAT", "FW", "IDS", "VPN", "RateLimiter", "WebCache", "Normalizer", "NetMonitor"])
        let firewall = try XCTUnwrap(catalog["FW"])
        XCTAssertEqual(firewall.outputs, ["safe", "unsafe"])
        XCTAssertEqual(firewall.attributes["safe"], .port(valuesToOutputs: ["true": "safe", "false": "unsafe"]))
        XCTAssertEqual(catalog["IDS"]?.attributes["safe"], .metadata)
        XCTAssertEqual(catalog["NAT"]?.mangles, [.sourceAddress, .sourcePort])
        XCTAssertEqual(catalog["VPN"]?.affinity, [.destinationAddress])
        XCTAssertEqual(catalog["RateLimiter"]?.inputAttributes["prio1"], .port("vp1"))
        XCTAssertEqual(catalog["RateLimiter"]?.replicable, false)
        XCTAssertEqual(catalog["Proxy"]?.api, .legacy)
        XCTAssertEqual(catalog["IDS"]?.performance.gbpsPerCorePerGHz, 0.35)
        XCTAssertNil(catalog["Router"])
    }

    func testRoundTripsThroughJSON() throws {
        let catalog = try NFCatalog.decode(json: try Fixtures.example("nfs.json"))
        let encoded = try JSONEncoder().encode(catalog)
        XCTAssertEqual(try NFCatalog.decode(json: encoded), catalog)
    }

    func testMissingFieldIsReportedWithItsPath() {
        let json = #"{"nfs": [{"name": "NAT", "api": "native", "inputs": ["in"], "outputs": ["out"], "replicable": true, "affinity": []}]}"#
        XCTAssertThrowsError(try NFCatalog.decode(json: Data(json.utf8))) { error in
            XCTAssertEqual(error as? DescriptionError, DescriptionError(path: "$.nfs[0]", message: "missing required field \"performance\""))
        }
    }

    func testUnknownAffinityFieldIsRejected() {
        let json = Self.nf(#""affinity": ["src mac"]"#)
        XCTAssertThrowsError(try NFCatalog.decode(json: Data(json.utf8))) { error in
            let problem = error as? DescriptionError
            XCTAssertEqual(problem?.path, "$.nfs[0].affinity[0]")
            XCTAssertEqual(problem?.message, #"unknown header field "src mac"; expected one of "src ip", "dst ip", "src port", "dst port", "proto""#)
        }
    }

    func testUnknownAttributeMethodIsRejected() {
        let json = Self.nf(#""affinity": [], "attributes": {"safe": {"method": "magic"}}"#)
        XCTAssertThrowsError(try NFCatalog.decode(json: Data(json.utf8))) { error in
            let problem = error as? DescriptionError
            XCTAssertEqual(problem?.path, "$.nfs[0].attributes.safe.method")
            XCTAssertTrue(problem?.message.contains("unknown method \"magic\"") ?? false, "\(String(describing: problem))")
        }
    }

    func testAttributeMustNameAnOutputVport() {
        let json = Self.nf(#""affinity": [], "attributes": {"safe": {"method": "port", "ports": {"true": "out", "false": "elsewhere"}}}"#)
        XCTAssertThrowsError(try NFCatalog.decode(json: Data(json.utf8))) { error in
            XCTAssertEqual(error as? DescriptionError, DescriptionError(
                path: "$.nfs[0].attributes.safe.ports.false", message: "output vport \"elsewhere\" is not among the outputs [\"out\"]"))
        }
    }

    func testInputAttributeMustNameAnInputVport() {
        let json = Self.nf(#""affinity": [], "inputAttributes": {"prio0": {"method": "port", "port": "vp9"}}"#)
        XCTAssertThrowsError(try NFCatalog.decode(json: Data(json.utf8))) { error in
            XCTAssertEqual((error as? DescriptionError)?.path, "$.nfs[0].inputAttributes.prio0.port")
        }
    }

    func testEveryProblemIsListedNotOnlyTheFirst() {
        let catalog = NFCatalog(nfs: [
            NFDescription(name: "A", api: .native, inputs: [], outputs: ["o"], replicable: true, affinity: [], performance: .init(gbpsPerCorePerGHz: 1)),
            NFDescription(name: "A", api: .native, inputs: ["i"], outputs: ["o", "o"], replicable: true, affinity: [], performance: .init(gbpsPerCorePerGHz: 0)),
            NFDescription(name: "9lives", api: .legacy, inputs: ["i"], outputs: ["o"], replicable: true, affinity: [.proto, .proto], performance: .init(gbpsPerCorePerGHz: 1)),
        ])
        XCTAssertEqual(catalog.problems().map(\.path), [
            "$.nfs[0].inputs",
            "$.nfs[1].name", "$.nfs[1].outputs[1]", "$.nfs[1].performance.gbpsPerCorePerGHz",
            "$.nfs[2].name", "$.nfs[2].affinity",
        ])
    }

    func testSyntaxErrorIsReportedNotSwallowed() {
        XCTAssertThrowsError(try NFCatalog.decode(json: Data("{\"nfs\": [".utf8))) { error in
            XCTAssertEqual((error as? DescriptionError)?.path, "$")
        }
    }

    /// One NF named NAT with `extra` fields added.
    private static func nf(_ extra: String) -> String {
        #"{"nfs": [{"name": "NAT", "api": "native", "inputs": ["in"], "outputs": ["out"], "replicable": true, "performance": {"gbpsPerCorePerGHz": 1}, "# + extra + "}]}"
    }
}

private extension HeaderField {
    static let proto = HeaderField.transportProtocol
}
