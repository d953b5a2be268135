/// A problem with an NF description or a hardware description, located by a JSON path.
///
/// The path (`nfs[2].attributes.safe.ports.true`) lets a user find the value in their file;
/// the API turns this into a problem+json body with the same text.
public struct DescriptionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where in the document: `$` for the whole, then `.key` and `[index]` steps.
    public var path: String
    /// What is wrong, in one sentence.
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

extension DescriptionError {
    /// Translates a `DecodingError` into a path and a sentence a user can act on.
    public init(decoding error: DecodingError) {
        func render(_ codingPath: [any CodingKey]) -> String {
            codingPath.reduce("$") { path, key in
                if let index = key.intValue { return "\(path)[\(index)]" }
                return "\(path).\(key.stringValue)"
            }
        }
        switch error {
        case .keyNotFound(let key, let context):
            self.init(path: render(context.codingPath), message: "missing required field \"\(key.stringValue)\"")
        case .typeMismatch(let type, let context):
            self.init(path: render(context.codingPath), message: "expected \(Self.jsonName(of: type)): \(context.debugDescription)")
        case .valueNotFound(let type, let context):
            self.init(path: render(context.codingPath), message: "expected \(Self.jsonName(of: type)), found null")
        case .dataCorrupted(let context):
            var message = context.debugDescription
            if let underlying = context.underlyingError {
                message += " (\(underlying))"
            }
            self.init(path: render(context.codingPath), message: message)
        @unknown default:
            self.init(path: "$", message: "\(error)")
        }
    }

    private static func jsonName(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Double.Type: "a number"
        case is [Any].Type: "an array"
        default: "\(type)"
        }
    }
}
