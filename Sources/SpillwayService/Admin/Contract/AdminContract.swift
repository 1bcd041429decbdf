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

    /// Decodes exactly: what the service uses for requests, where a missing field is a mistake.
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

    /// The wire name of a Swift field (`recordsPerSecond` → `records_per_second`),
    /// as the encoder spells it, so messages name fields as clients write them.
    public static func wireName(of field: some CodingKey) -> String {
        let data = (try? encoder.encode(FieldNameProbe(name: field.stringValue))) ?? Data()
        guard case .object(let fields)? = try? JSONDecoder().decode(JSONTree.self, from: data), let name = fields.keys.first else {
            return field.stringValue
        }
        return name
    }

    /// Where a request went wrong, in the request's own field names.
    static func describe(_ error: DecodingError) -> String {
        func at(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + wireName(of: $0) }.joined()
            return path.hasPrefix(".") ? String(path.dropFirst()) : path
        }
        switch error {
        case let .keyNotFound(key, context):
            let place = at(context)
            return "missing field \"\(wireName(of: key))\"\(place.isEmpty ? "" : " in \(place)")"
        case let .typeMismatch(type, context), let .valueNotFound(type, context):
            let expected = ObjectIdentifier(type) == ObjectIdentifier(Bool.self) ? "true or false"
                : ObjectIdentifier(type) == ObjectIdentifier(String.self) ? "a string" : "a number"
            return "\(at(context).isEmpty ? "body" : at(context)): expected \(expected)"
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty { return "malformed JSON" }
            return "\(at(context)): \(context.debugDescription)"
        @unknown default:
            return "malformed request"
        }
    }
}

/// Encodes one field named as a Swift property would be, to learn the encoder's spelling of it.
private struct FieldNameProbe: Encodable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    var name: String

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(0, forKey: Key(stringValue: name))
    }
}
