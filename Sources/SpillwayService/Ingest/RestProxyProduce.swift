import Foundation
import Spillway
import SpillwaySpool

/// Confluent REST Proxy v2 produce: `POST /topics/{topic}` with
/// `application/vnd.kafka.{json,binary}.v2+json`, so existing REST Proxy clients can point at Spillway.
enum RestProxyProduce {
    enum Format {
        /// Keys and values are any JSON; Kafka gets their compact JSON text.
        case json
        /// Keys and values are base64 strings.
        case binary
    }

    struct Request: Decodable {
        struct Record: Decodable {
            var key: JSONValue?
            var value: JSONValue?
            var partition: Int32?
        }

        var records: [Record]
    }

    /// One entry of the response's `offsets`. Delivery is asynchronous, so a
    /// taken record has no partition or offset yet: both are null, as the API allows.
    struct Offset: Encodable {
        var partition: Int32?
        var offset: Int64?
        var errorCode: Int?
        var error: String?

        enum CodingKeys: String, CodingKey {
            case partition, offset, error
            case errorCode = "error_code"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(partition, forKey: .partition)
            try container.encode(offset, forKey: .offset)
            try container.encode(errorCode, forKey: .errorCode)
            try container.encode(error, forKey: .error)
        }
    }

    struct Response: Encodable {
        var keySchemaID: Int?
        var valueSchemaID: Int?
        var offsets: [Offset]

        enum CodingKeys: String, CodingKey {
            case offsets
            case keySchemaID = "key_schema_id"
            case valueSchemaID = "value_schema_id"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(keySchemaID, forKey: .keySchemaID)
            try container.encode(valueSchemaID, forKey: .valueSchemaID)
            try container.encode(offsets, forKey: .offsets)
        }
    }

    static let responseContentType = "application/vnd.kafka.v2+json"
    static let contentTypes = ["application/vnd.kafka.json.v2+json", "application/vnd.kafka.binary.v2+json", "application/vnd.kafka.v2+json", "application/json"]

    /// The embedded format named by a request's content type, or `nil` when Spillway does not support it.
    static func format(contentType: String?) -> Format? {
        guard let type = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() else { return nil }
        switch type {
        case "application/vnd.kafka.binary.v2+json": return .binary
        case "application/vnd.kafka.json.v2+json", "application/vnd.kafka.v2+json", "application/json": return .json
        default: return nil
        }
    }

    static func decode(_ body: [UInt8], topic: String, format: Format) throws(IngestError) -> [Result<OutgoingRecord, IngestRejection>] {
        let request: Request
        do {
            request = try JSONDecoder().decode(Request.self, from: Data(body))
        } catch let error as DecodingError {
            throw .malformed(error.clientDescription)
        } catch {
            throw .malformed("malformed JSON")
        }
        guard !request.records.isEmpty else { throw .malformed("\"records\" is empty") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return request.records.map { record in
            func bytes(_ value: JSONValue, _ field: String) -> Result<[UInt8], IngestRejection> {
                switch format {
                case .json:
                    guard let data = try? encoder.encode(value) else { return .failure(IngestRejection(reason: "\(field) cannot be encoded")) }
                    return .success(Array(data))
                case .binary:
                    guard case .string(let text) = value, let data = Data(base64Encoded: text) else {
                        return .failure(IngestRejection(reason: "\(field) must be a base64 string in the binary format"))
                    }
                    return .success(Array(data))
                }
            }
            var key: [UInt8]?
            if let recordKey = record.key, !recordKey.isNull {
                switch bytes(recordKey, "key") {
                case .success(let decoded): key = decoded
                case .failure(let rejection): return .failure(rejection)
                }
            }
            // Spillway carries no tombstones: a null or missing value is an empty one.
            var value: [UInt8] = []
            if let recordValue = record.value, !recordValue.isNull {
                switch bytes(recordValue, "value") {
                case .success(let decoded): value = decoded
                case .failure(let rejection): return .failure(rejection)
                }
            }
            return .success(OutgoingRecord(topic: topic, key: key, value: value, partition: record.partition))
        }
    }
}
