import Foundation

/// A JSON document E2 decodes and then checks as a whole (NF catalogs, hardware descriptions).
public protocol ValidatedDocument: Decodable {
    /// Everything inconsistent in the document, in document order; empty when it is sound.
    func problems() -> [DescriptionError]
}

extension ValidatedDocument {
    /// Decodes and validates a document; the first problem is thrown with its JSON path.
    public static func decode(json: Data) throws(DescriptionError) -> Self {
        let document: Self
        do {
            document = try JSONDecoder().decode(Self.self, from: json)
        } catch let error as DecodingError {
            throw DescriptionError(decoding: error)
        } catch {
            throw DescriptionError(path: "$", message: "\(error)")
        }
        if let problem = document.problems().first { throw problem }
        return document
    }
}
