/// Parses HTTP/1.x requests from bytes as they arrive, strictly (RFC 9112).
///
/// Whatever could let two parsers disagree on where a request ends is refused with 400:
/// Content-Length together with Transfer-Encoding, a repeated Content-Length, obs-fold, space
/// before a header's colon, bare CR or LF, a missing Host. Limits answer 414, 431 and 413.
/// The parser keeps no state: it re-reads the buffer, which the header limit keeps small.
public enum HTTPRequestParser {
    /// The request at the start of `buffer` and the bytes it took; nil until it is complete.
    public static func parse(_ buffer: [UInt8], limits: HTTPLimits = HTTPLimits()) throws(HTTPParseError) -> (request: HTTPRequest, consumed: Int)? {
        var position = 0
        // A server should ignore empty lines before a request line (RFC 9112 §2.2).
        while position + 1 < buffer.count, buffer[position] == 13, buffer[position + 1] == 10 { position += 2 }

        guard let requestLine = try line(in: buffer, from: position, limit: limits.maxLineBytes, tooLong: HTTPParseError(414, "the request line is longer than \(limits.maxLineBytes) bytes")) else {
            return nil
        }
        var request = try parseRequestLine(buffer[position..<requestLine.end])
        position = requestLine.next

        let headerStart = position
        while true {
            guard let field = try line(in: buffer, from: position, limit: limits.maxLineBytes, tooLong: HTTPParseError(431, "a header line is longer than \(limits.maxLineBytes) bytes")) else {
                if buffer.count - headerStart > limits.maxHeaderBytes { throw HTTPParseError(431, "the header section is larger than \(limits.maxHeaderBytes) bytes") }
                return nil
            }
            position = field.next
            if position - headerStart > limits.maxHeaderBytes { throw HTTPParseError(431, "the header section is larger than \(limits.maxHeaderBytes) bytes") }
            if field.end == field.start { break }
            request.headers.append(try parseField(buffer[field.start..<field.end]))
            if request.headers.count > limits.maxHeaderCount { throw HTTPParseError(431, "more than \(limits.maxHeaderCount) header fields") }
        }

        try checkHost(request)
        switch try framing(of: request, limits: limits) {
        case .none:
            return (request, position)
        case .length(let length):
            guard buffer.count - position >= length else { return nil }
            request.body = Array(buffer[position..<(position + length)])
            return (request, position + length)
        case .chunked:
            guard let (body, end) = try dechunk(buffer, from: position, limits: limits) else { return nil }
            request.body = body
            return (request, end)
        }
    }

    // MARK: Lines

    struct Line { var start: Int; var end: Int; var next: Int }

    /// The line starting at `start`, ending with CRLF; nil when the CRLF has not arrived.
    static func line(in buffer: [UInt8], from start: Int, limit: Int, tooLong: HTTPParseError) throws(HTTPParseError) -> Line? {
        var index = start
        while index < buffer.count {
            switch buffer[index] {
            case 10:
                throw HTTPParseError(400, "a line ends with a bare LF; HTTP lines end with CRLF")
            case 13:
                guard index + 1 < buffer.count else { return nil }
                guard buffer[index + 1] == 10 else { throw HTTPParseError(400, "a bare CR inside a line") }
                if index - start > limit { throw tooLong }
                return Line(start: start, end: index, next: index + 2)
            default:
                index += 1
                if index - start > limit { throw tooLong }
            }
        }
        return nil
    }

    static func isToken(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    static func parseRequestLine(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPRequest {
        let parts = bytes.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw HTTPParseError(400, "the request line is not 'METHOD target HTTP/1.1'")
        }
        guard parts[0].allSatisfy(isToken) else { throw HTTPParseError(400, "the method is not a token") }
        guard parts[1].allSatisfy({ $0 > 32 && $0 < 127 }) else { throw HTTPParseError(400, "the request target has spaces or control characters") }
        let version = String(decoding: parts[2], as: UTF8.self)
        let minor: Int
        switch version {
        case "HTTP/1.1": minor = 1
        case "HTTP/1.0": minor = 0
        default:
            let numbered = version.count == 8 && version.hasPrefix("HTTP/") && version.dropFirst(5).enumerated().allSatisfy { index, character in
                index == 1 ? character == "." : character.isNumber
            }
            throw numbered ? HTTPParseError(505, "\(version) is not supported; use HTTP/1.1") : HTTPParseError(400, "'\(version)' is not an HTTP version")
        }
        let target = String(decoding: parts[1], as: UTF8.self)
        guard target.hasPrefix("/") || target == "*" || target.hasPrefix("http://") || target.hasPrefix("https://") else {
            throw HTTPParseError(400, "the request target must be a path starting with /")
        }
        return HTTPRequest(method: String(decoding: parts[0], as: UTF8.self), target: target, minorVersion: minor)
    }

    static func parseField(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> (name: String, value: String) {
        guard let first = bytes.first else { throw HTTPParseError(400, "an empty header line") }
        if first == 32 || first == 9 { throw HTTPParseError(400, "obsolete line folding (a header line starting with whitespace) is not accepted") }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { throw HTTPParseError(400, "a header line has no colon") }
        let name = bytes[bytes.startIndex..<colon]
        if let last = name.last, last == 32 || last == 9 { throw HTTPParseError(400, "whitespace between a header name and its colon is not accepted") }
        guard !name.isEmpty, name.allSatisfy(isToken) else { throw HTTPParseError(400, "a header name is not a token") }
        var value = bytes[(colon + 1)...]
        while let byte = value.first, byte == 32 || byte == 9 { value = value.dropFirst() }
        while let byte = value.last, byte == 32 || byte == 9 { value = value.dropLast() }
        guard value.allSatisfy({ $0 == 9 || ($0 >= 32 && $0 != 127) }) else {
            throw HTTPParseError(400, "header \(String(decoding: name, as: UTF8.self)) has a control character")
        }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    // MARK: Framing

    static func checkHost(_ request: HTTPRequest) throws(HTTPParseError) {
        let hosts = request.headers.filter { $0.name.caseInsensitiveEquals("Host") }.count
        if hosts > 1 { throw HTTPParseError(400, "more than one Host header") }
        if hosts == 0 && request.minorVersion == 1 { throw HTTPParseError(400, "an HTTP/1.1 request needs a Host header") }
    }

    enum Framing { case none, length(Int), chunked }

    static func framing(of request: HTTPRequest, limits: HTTPLimits) throws(HTTPParseError) -> Framing {
        let lengths = request.headers.filter { $0.name.caseInsensitiveEquals("Content-Length") }.map(\.value)
        let codings = request.headers.filter { $0.name.caseInsensitiveEquals("Transfer-Encoding") }.map(\.value)
        if !lengths.isEmpty && !codings.isEmpty { throw HTTPParseError(400, "both Content-Length and Transfer-Encoding: the body's end is ambiguous") }
        if lengths.count > 1 { throw HTTPParseError(400, "more than one Content-Length") }
        if codings.count > 1 { throw HTTPParseError(400, "more than one Transfer-Encoding") }
        if let coding = codings.first {
            guard request.minorVersion == 1 else { throw HTTPParseError(400, "Transfer-Encoding in an HTTP/1.0 request") }
            guard coding.lowercased() == "chunked" else { throw HTTPParseError(501, "transfer coding '\(coding)' is not supported; only chunked is") }
            return .chunked
        }
        guard let length = lengths.first else { return .none }
        guard !length.isEmpty, length.count <= 18, length.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int(length) else {
            throw HTTPParseError(400, "Content-Length '\(length)' is not a number")
        }
        if value > limits.maxBodyBytes { throw HTTPParseError(413, "the body of \(value) bytes is larger than \(limits.maxBodyBytes)") }
        return .length(value)
    }

    /// A chunked body (RFC 9112 §7.1), its extensions ignored and trailers checked then dropped.
    static func dechunk(_ buffer: [UInt8], from start: Int, limits: HTTPLimits) throws(HTTPParseError) -> ([UInt8], Int)? {
        var body: [UInt8] = []
        var position = start
        let tooLong = HTTPParseError(400, "a chunk size line is too long")
        while true {
            guard let sizeLine = try line(in: buffer, from: position, limit: 1024, tooLong: tooLong) else { return nil }
            var digits = buffer[sizeLine.start..<sizeLine.end]
            if let semicolon = digits.firstIndex(of: UInt8(ascii: ";")) { digits = digits[digits.startIndex..<semicolon] }
            while let last = digits.last, last == 32 || last == 9 { digits = digits.dropLast() }
            guard !digits.isEmpty, digits.count <= 15, let size = Int(String(decoding: digits, as: UTF8.self), radix: 16), size >= 0 else {
                throw HTTPParseError(400, "a chunk size is not a hexadecimal number")
            }
            position = sizeLine.next
            if size == 0 {
                // Trailer fields until an empty line.
                var trailerBytes = 0
                while true {
                    guard let field = try line(in: buffer, from: position, limit: limits.maxLineBytes, tooLong: HTTPParseError(431, "a trailer line is too long")) else { return nil }
                    position = field.next
                    if field.end == field.start { return (body, position) }
                    trailerBytes += field.end - field.start
                    if trailerBytes > limits.maxHeaderBytes { throw HTTPParseError(431, "the trailer section is too large") }
                    _ = try parseField(buffer[field.start..<field.end])
                }
            }
            if body.count + size > limits.maxBodyBytes { throw HTTPParseError(413, "the chunked body is larger than \(limits.maxBodyBytes) bytes") }
            guard buffer.count >= position + size + 2 else { return nil }
            guard buffer[position + size] == 13, buffer[position + size + 1] == 10 else { throw HTTPParseError(400, "a chunk is not followed by CRLF") }
            body += buffer[position..<(position + size)]
            position += size + 2
        }
    }
}
