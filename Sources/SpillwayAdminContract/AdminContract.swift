import Foundation

/// The admin API's wire format, shared by the service and every client
/// (`spillway status`, `top`, `breaker`, `backlog`): one encoder and decoder
/// (snake_case keys, as the API has always spoken), the routes, and decoding
/// that tolerates a service of another version.
public enum AdminContract {
    /// The admin API's routes.
    public enum Route {
        public static let status = "/v1/status"
        public static let breaker = "/v1/breaker"
        public static let backlog = "/v1/backlog"
    }

    /// Encodes every admin document: snake_case keys, sorted, so answers are stable.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    /// Decodes a request exactly: a missing or misspelt field is the client's mistake.
    /// Requests spell their keys out (`CodingKeys`), so a refusal names a field as
    /// the client wrote it (`records_per_second: expected a number`).
    public static var requestDecoder: JSONDecoder {
        JSONDecoder()
    }

    /// Decodes an answer exactly; `decode(_:from:)` is the tolerant way.
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    /// Decodes an answer from a service of any version: a field it does not send
    /// reads as the document's default, a field this client does not know is ignored.
    public static func decode<Document: AdminDocument>(_ type: Document.Type, from data: Data) throws -> Document {
        let received = try JSONDecoder().decode(JSONTree.self, from: data)
        let defaults = try JSONDecoder().decode(JSONTree.self, from: encoder.encode(Document()))
        return try decoder.decode(Document.self, from: JSONEncoder().encode(defaults.overlaid(with: received)))
    }
}
