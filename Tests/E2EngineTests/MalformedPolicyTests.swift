import E2Engine
import XCTest

/// Malformed policies, each with the diagnostic it must produce at the place marked ⟪.
final class MalformedPolicyTests: XCTestCase {
    static let prelude = """
        NAT n;
        FW f;
        Proxy p;
        RateLimiter r;
        Port<0-7> int;
        Port<8-15> ext;
        Address my_net 10.12.30.0/24;

        """

    /// (expected code, policy text after the prelude with ⟪ where the diagnostic points).
    static let cases: [(PolicyDiagnostic.Code, String)] = [
        // Syntax
        (.syntax, "NAT m\n⟪pipelet { int -> n; }"),
        (.syntax, "pipelet { int -> ⟪; }"),
        (.syntax, "pipelet { int [dst port 80 ⟪-> n; }"),
        (.syntax, "⟪/* never closed\npipelet { int -> n; }"),
        (.syntax, "pipelet { int [⟪\"abc] -> n; }"),
        (.syntax, "NAT m; ⟪@"),
        (.syntax, "Port<0⟪-> q;"),
        (.syntax, "pipelet { int [ip and ⟪] -> n; }"),
        (.syntax, "pipelet { int [(dst port 80⟪] -> n; }"),
        (.syntax, "pipelet { int [dst port⟪] -> n; }"),
        (.syntax, "pipelet { int -> n;\n⟪"),
        (.syntax, "pipelet { int ⟪n; }"),
        (.syntax, "pipelet ⟪int -> n;"),
        (.syntax, "pipelet { int [ip[1] ⟪1] -> n; }"),
        (.syntax, "Address a ⟪my_net;"),
        // Addresses, bandwidths, filters
        (.badAddress, "Address a ⟪10.0.0.300;"),
        (.badAddress, "Address a 10.0.0.1/⟪33;"),
        (.badAddress, "Address a ⟪10.0.0.1/24;"),
        (.badAddress, "Address a 10.0.0.0 mask ⟪255.0.255.0;"),
        (.badAddress, "Address a ⟪10.0.0;"),
        (.badBandwidth, "pipelet { int -> (10⟪Tbps) n; }"),
        (.badBandwidth, "pipelet { int -> (⟪0Mbps) n; }"),
        (.badFilter, "pipelet { int [port ⟪99999] -> n; }"),
        (.badFilter, "pipelet { int [portrange ⟪20-10] -> n; }"),
        (.badFilter, "pipelet { int [icmp port ⟪80] -> n; }"),
        (.badFilter, "pipelet { int [tcp host ⟪10.0.0.1] -> n; }"),
        (.badFilter, "pipelet { int [host ⟪10.0.0.0/8] -> n; }"),
        (.badFilter, "pipelet { int [ip6 host ⟪10.0.0.1] -> n; }"),
        (.badFilter, "pipelet { int [ip host ⟪::1] -> n; }"),
        (.badFilter, "pipelet { int [ip[0:⟪3] == 1] -> n; }"),
        (.badFilter, "pipelet { int [vlan ⟪5000] -> n; }"),
        (.badFilter, "pipelet { int [port ⟪http2] -> n; }"),
        (.badFilter, "pipelet { int [dst ⟪80] -> n; }"),
        (.badFilter, "pipelet { int [ip proto ⟪300] -> n; }"),
        (.unsupportedFilter, "pipelet { int [⟪ip[1] & 1 < 2] -> n; }"),
        (.unsupportedFilter, "pipelet { int [⟪vlan or ip] -> n; }"),
        (.unsupportedFilter, "pipelet { int [vlan and ⟪vlan] -> n; }"),
        (.unsupportedFilter, "pipelet { int [⟪tcp[0:4] & 1 == 0] -> n; }"),
        // Names
        (.undefinedName, "pipelet { int -> ⟪x; }"),
        (.undefinedName, "pipelet { ⟪y -> n; }"),
        (.undefinedName, "pipelet { int [⟪nowhere] -> n; }"),
        (.undefinedName, "pipelet { int [⟪dst ip nowhere] -> n; }"),
        (.undefinedName, "pipelet { int [⟪ingress nowhere] -> n; }"),
        (.undefinedName, "pipelet { int [⟪dst ip int] -> n; }"),
        (.duplicateName, "FW ⟪n;"),
        (.duplicateName, "NAT ⟪Drop;"),
        (.duplicateName, "Address ⟪int 10.0.0.0/8;"),
        (.unknownNFType, "⟪Router q;"),
        (.unknownNFType, "pipelet { int [⟪Router.safe] -> n; }"),
        (.unknownAttribute, "pipelet { int [⟪FW.bogus] -> n; }"),
        (.unknownAttribute, "pipelet { int [⟪FW.safe == maybe] -> n; }"),
        (.unknownAttribute, "pipelet { int [⟪NAT.safe] -> n; }"),
        (.invalidEdge, "pipelet { int -> ⟪my_net; }"),
        (.invalidEdge, "pipelet { ⟪Drop -> n; }"),
        // Graph shape
        (.cycle, "pipelet { int -> n; ⟪n -> n; }"),
        (.cycle, "pipelet { int -> n; n -> f; ⟪f -> n; }"),
        // Nesting is bounded, so that no policy can exhaust a request thread's stack.
        (.syntax, "pipelet { int [" + String(repeating: "(", count: 100) + "⟪(tcp" + String(repeating: ")", count: 101) + "] -> n; }"),
        (.syntax, "pipelet { int [" + String(repeating: "not ", count: 100) + "⟪not tcp] -> n; }"),
        // Found by scripts/fuzz-policy: the search went on after a cycle with a stale path.
        (.cycle, "pipelet { int -> p; p -> n; ⟪n -> p; int -> n; }"),
        (.portGroupOverlap, "Port<⟪5-9> q;"),
        (.portRange, "Port<⟪9-2> q;"),
        (.portRange, "Port<⟪70000> q;"),
        (.unknownInput, "pipelet { int -> [⟪prio9] r; r -> ext; }"),
        (.unknownInput, "pipelet { int -> [⟪prio0] Drop; }"),
        (.unknownInput, "pipelet { int -> [⟪fast] n; n -> ext; }"),
        // Destinations
        (.missingDestination, "pipelet { int [dst port 80] -> n; n -> ext; }"),
        (.missingDestination, "pipelet { int -> n; n [dst port 80] -> ext; }"),
        (.missingDestination, "pipelet { ⟪int -> n; }"),
        (.missingDestination, "pipelet { ext -> f; f [FW.safe] -> int; }"),
        (.ambiguousDestination, "pipelet { int -> n; ⟪int [tcp] -> f; n -> ext; f [FW.safe] -> ext; f [!FW.safe] -> Drop; }"),
        (.ambiguousDestination, "pipelet { int -> n; n -> f; f -> ext; }\npipelet { int -> n; ⟪n -> p; p -> ext; }"),
        (.ambiguousDestination, "pipelet { ext [tcp] -> f; f -> int; ⟪ext [dst port 80] -> Drop; }"),
    ]

    func testEveryMalformedPolicyGetsItsDiagnostic() throws {
        XCTAssertGreaterThanOrEqual(Self.cases.count, 50)
        let catalog = try NFCatalog.decode(json: try Fixtures.example("nfs.json"))
        for (index, (code, body)) in Self.cases.enumerated() {
            let marked = Self.prelude + body
            let expected = Self.location(of: "⟪", in: marked)
            let text = marked.replacingOccurrences(of: "⟪", with: "")
            let result = PolicyChecker.check([.init(name: "case\(index).e2", text: text)], catalog: catalog)
            XCTAssertFalse(result.isValid, "case \(index) (\(code.rawValue)) was accepted:\n\(body)")
            let matching = result.diagnostics.filter { $0.code == code }
            XCTAssertFalse(matching.isEmpty, "case \(index): no \(code.rawValue) among \(result.diagnostics.map { "\($0.code.rawValue)@\($0.location.line):\($0.location.column) \($0.message)" })\n\(body)")
            if let expected {
                XCTAssertTrue(matching.contains { ($0.location.line, $0.location.column) == expected },
                              "case \(index): \(code.rawValue) expected at \(expected), got \(matching.map { "\($0.location.line):\($0.location.column) \($0.message)" })\n\(body)")
            }
            for diagnostic in matching { XCTAssertFalse(diagnostic.message.isEmpty) }
        }
    }

    /// The 1-based line and column of `marker`, if present.
    static func location(of marker: Character, in text: String) -> (Int, Int)? {
        var line = 1, column = 1
        for character in text {
            if character == marker { return (line, column) }
            if character == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return nil
    }
}
