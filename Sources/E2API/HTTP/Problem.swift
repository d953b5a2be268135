/// An error as RFC 9457 problem details (`application/problem+json`), the one error shape of
/// the API. Extra members (policy diagnostics, a JSON path) ride along in `extensions`.
public struct Problem: Error, Sendable, Encodable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var instance: String?
    /// Members beyond RFC 9457's, encoded beside them.
    public var extensions: [String: ProblemValue]

    public init(status: Int, type: String? = nil, title: String? = nil, detail: String, instance: String? = nil, extensions: [String: ProblemValue] = [:]) {
        self.type = type ?? "about:blank"
        self.title = title ?? HTTPResponse.reason(status)
        self.status = status
        self.detail = detail
        self.instance = instance
        self.extensions = extensions
    }

    public var response: HTTPResponse {
        var response = HTTPResponse.json(self, status: status)
        response.headers[0] = ("Content-Type", "application/problem+json")
        if status == 401 { response.headers.append(("WWW-Authenticate", "Bearer realm=\"e2\"")) }
        return response
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(type, forKey: Key("type"))
        try container.encode(title, forKey: Key("title"))
        try container.encode(status, forKey: Key("status"))
        try container.encode(detail, forKey: Key("detail"))
        try container.encodeIfPresent(instance, forKey: Key("instance"))
        for (key, value) in extensions { try container.encode(value, forKey: Key(key)) }
    }
}

/// A JSON value for problem extensions.
public indirect enum ProblemValue: Sendable, Encodable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([ProblemValue])
    case object([String: ProblemValue])
    /// Any encodable value, encoded as itself.
    case encoded(any Encodable & Sendable)

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .string(let value): var c = encoder.singleValueContainer(); try c.encode(value)
        case .number(let value): var c = encoder.singleValueContainer(); try c.encode(value)
        case .bool(let value): var c = encoder.singleValueContainer(); try c.encode(value)
        case .array(let values): var c = encoder.unkeyedContainer(); for value in values { try c.encode(value) }
        case .object(let members):
            var c = encoder.container(keyedBy: Problem.Key.self)
            for (key, value) in members { try c.encode(value, forKey: Problem.Key(key)) }
        case .encoded(let value): try value.encode(to: encoder)
        }
    }
}
