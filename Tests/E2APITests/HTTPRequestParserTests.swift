import E2API
import XCTest

final class HTTPRequestParserTests: XCTestCase {
    func parse(_ text: String, limits: HTTPLimits = HTTPLimits()) throws -> (request: HTTPRequest, consumed: Int)? {
        try HTTPRequestParser.parse(Array(text.utf8), limits: limits)
    }

    func assertRefused(_ text: String, _ status: Int, _ detail: String, limits: HTTPLimits = HTTPLimits(), line: UInt = #line) {
        XCTAssertThrowsError(try parse(text, limits: limits), line: line) { error in
            let refusal = error as? HTTPParseError
            XCTAssertEqual(refusal?.status, status, "\(String(describing: refusal))", line: line)
            XCTAssertTrue(refusal?.detail.contains(detail) ?? false, "\(String(describing: refusal))", line: line)
        }
    }

    func testASimpleGetAndItsParts() throws {
        let first = "GET /v1/status?verbose=1&x HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n"
        let (request, consumed) = try XCTUnwrap(parse(first + "GET /next"))
        XCTAssertEqual(request.method, "GET")
        XCTAssertEqual(request.path, "/v1/status")
        XCTAssertEqual(request.query, ["verbose": "1", "x": ""])
        XCTAssertEqual(request.header("accept"), "*/*")
        XCTAssertTrue(request.keepAlive)
        XCTAssertEqual(consumed, first.utf8.count, "the next request's bytes are left in the buffer")
    }

    func testOddQueriesAreParsedNotTrapped() {
        // Found by schemathesis: an empty name before '=' used to trap.
        let request = HTTPRequest(method: "GET", target: "/v1/placement?=&=x&format=d%6Ft&format=json&a+b=c%20d&%ZZ=1")
        XCTAssertEqual(request.query, ["": "", "format": "dot", "a b": "c d", "%ZZ": "1"])
    }

    func testIncompleteRequestsWait() throws {
        XCTAssertNil(try parse("GET / HTTP/1.1\r\nHost: a\r\n"))
        XCTAssertNil(try parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nabc"))
        XCTAssertNil(try parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"))
        XCTAssertNil(try parse("GET / HTTP/1.1\r"))
    }

    func testContentLengthAndChunkedBodies() throws {
        let sized = try XCTUnwrap(parse("POST /v1/pipelets HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"))
        XCTAssertEqual(String(decoding: sized.request.body, as: UTF8.self), "hello")
        let chunked = try XCTUnwrap(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n5;name=x\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: ok\r\n\r\n"))
        XCTAssertEqual(String(decoding: chunked.request.body, as: UTF8.self), "hello world")
    }

    func testConnectionSemanticsOfBothVersions() throws {
        XCTAssertFalse(try XCTUnwrap(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")).request.keepAlive)
        XCTAssertFalse(try XCTUnwrap(parse("GET / HTTP/1.0\r\n\r\n")).request.keepAlive)
        XCTAssertTrue(try XCTUnwrap(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")).request.keepAlive)
    }

    func testSmugglingShapesAreRefused() {
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "both Content-Length and Transfer-Encoding")
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400, "more than one Content-Length")
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400, "more than one Content-Length")
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc", 400, "is not a number")
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc", 400, "is not a number")
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "only chunked")
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "more than one Transfer-Encoding")
        assertRefused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "HTTP/1.0")
        assertRefused("GET / HTTP/1.1\r\nHost: a\r\nX-Long: a\r\n b\r\n\r\n", 400, "obsolete line folding")
        assertRefused("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "whitespace between a header name and its colon")
        assertRefused("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400, "needs a Host header")
        assertRefused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one Host")
        assertRefused("GET / HTTP/1.1\nHost: a\n\n", 400, "bare LF")
        assertRefused("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400, "bare CR")
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "not a hexadecimal number")
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", 400, "not followed by CRLF")
    }

    func testGarbageIsRefused() {
        assertRefused("\u{16}\u{03}\u{01}\u{02}\u{00}\r\n", 400, "request line")
        assertRefused("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "request line")
        assertRefused("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "method is not a token")
        assertRefused("GET index.html HTTP/1.1\r\nHost: a\r\n\r\n", 400, "starting with /")
        assertRefused("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "not supported")
        assertRefused("GET / FTP/1.1\r\nHost: a\r\n\r\n", 400, "not an HTTP version")
        assertRefused("GET / HTTP/1.1\r\nHost: a\r\nX-Bad: a\u{01}b\r\n\r\n", 400, "control character")
        assertRefused("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400, "no colon")
    }

    func testLimitsAnswer414431And413() {
        let limits = HTTPLimits(maxLineBytes: 64, maxHeaderBytes: 200, maxBodyBytes: 10, maxHeaderCount: 5)
        assertRefused("GET /\(String(repeating: "a", count: 100)) HTTP/1.1\r\n", 414, "request line is longer", limits: limits)
        assertRefused("GET /\(String(repeating: "a", count: 100))", 414, "request line is longer", limits: limits)
        assertRefused("GET / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "b", count: 100))\r\n\r\n", 431, "header line is longer", limits: limits)
        let many = (0..<6).map { "X-\($0): v\r\n" }.joined()
        assertRefused("GET / HTTP/1.1\r\nHost: a\r\n\(many)\r\n", 431, "more than 5 header fields", limits: limits)
        let big = (0..<5).map { "X-\($0): \(String(repeating: "v", count: 40))\r\n" }.joined()
        assertRefused("GET / HTTP/1.1\r\nHost: a\r\n\(big)", 431, "header section is larger", limits: limits)
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", 413, "larger than 10", limits: limits)
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n", 413, "chunked body is larger", limits: limits)
    }

    func testLeadingEmptyLinesAreSkipped() throws {
        XCTAssertEqual(try XCTUnwrap(parse("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")).request.target, "/")
    }
}
