import Spillway
import SpillwaySpool

/// Confluent REST Proxy v2 produce: `POST /topics/{topic}` with
/// `application/vnd.kafka.{json,binary}.v2+json`, so existing REST Proxy clients can point at Spillway.
package enum RestProxyProduce {
    package enum Format {
        /// Keys and values are any JSON; Kafka gets their text exactly as the request wrote it.
        case json
        /// Keys and values are base64 strings (RFC 4648, strictly).
        case binary
    }

    /// One entry of the response's `offsets`. At ack level `kafka`, Kafka's own
    /// partition and offset, as Confluent's proxy gives them; otherwise delivery is
    /// asynchronous, so a taken record has no partition or offset yet: both are
    /// null, as the API allows. `error_code` and `error` say when a record is short
    /// of the level asked, or not kept (`answering(_:at:rejection:)`).
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
    package static func format(contentType: String?) -> Format? {
        guard let type = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() else { return nil }
        switch type {
        case "application/vnd.kafka.binary.v2+json": return .binary
        case "application/vnd.kafka.json.v2+json", "application/vnd.kafka.v2+json", "application/json": return .json
        default: return nil
        }
    }

    /// `{"records": [{"key"?, "value"?, "partition"?}, …]}`. Other top-level fields
    /// (REST Proxy's schema ids, say) and other record fields are ignored, as REST Proxy does.
    package static func decode(_ body: [UInt8], topic: String, format: Format) throws(IngestError) -> [Result<OutgoingRecord, IngestRejection>] {
        let document: RawJSON
        do {
            document = try RawJSONParser.parse(body)
        } catch {
            throw .malformed(error.located(in: body))
        }
        guard case .object(let members) = document.kind else { throw .malformed("body: expected an object, found \(document.typeName)") }
        let fields = try unique(members, at: "body")
        guard let records = fields["records"] else { throw .malformed("missing field \"records\"") }
        guard case .array(let elements) = records.kind else { throw .malformed("records: expected an array, found \(records.typeName)") }
        guard !elements.isEmpty else { throw .malformed("\"records\" is empty") }
        var items: [Result<OutgoingRecord, IngestRejection>] = []
        items.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard case .object(let recordMembers) = element.kind else {
                throw .malformed("records[\(index)]: expected an object, found \(element.typeName)")
            }
            let record = try unique(recordMembers, at: "records[\(index)]")
            var partition: Int32?
            if let json = record["partition"], !json.isNull {
                guard let text = json.integerText, let value = Int32(text) else {
                    throw .malformed("records[\(index)].partition: expected an integer from -1 to \(Int32.max)")
                }
                partition = value
            }
            items.append(outgoing(record, body: body, topic: topic, format: format, partition: partition))
        }
        return items
    }

    private static func outgoing(_ record: [String: RawJSON], body: [UInt8], topic: String, format: Format, partition: Int32?) -> Result<OutgoingRecord, IngestRejection> {
        func bytes(_ json: RawJSON, _ field: String) -> Result<[UInt8], IngestRejection> {
            switch format {
            case .json:
                if let number = json.firstOutOfRangeNumber {
                    return .failure(IngestRejection(reason: "\(field): the number \(number.prefix(40)) is out of range (beyond ±1.8e308, a 64-bit float's limit)"))
                }
                return .success(Array(body[json.range]))
            case .binary:
                guard case .string(let text) = json.kind else {
                    return .failure(IngestRejection(reason: "\(field) must be a base64 string in the binary format, not \(json.typeName)"))
                }
                do {
                    return .success(try StrictBase64.decode(text))
                } catch {
                    return .failure(IngestRejection(reason: "\(field) \(error)"))
                }
            }
        }
        var key: [UInt8]?
        if let json = record["key"], !json.isNull {
            switch bytes(json, "key") {
            case .success(let decoded): key = decoded
            case .failure(let rejection): return .failure(rejection)
            }
        }
        // As in Confluent's REST Proxy v2, a null or missing value is Kafka's NULL (a tombstone).
        var value: [UInt8]?
        if let json = record["value"], !json.isNull {
            switch bytes(json, "value") {
            case .success(let decoded): value = decoded
            case .failure(let rejection): return .failure(rejection)
            }
        }
        return .success(OutgoingRecord(topic: topic, key: key, value: value, partition: partition))
    }

    /// An object's members by name; a name given twice is refused, not resolved silently.
    private static func unique(_ members: [RawJSON.Member], at place: String) throws(IngestError) -> [String: RawJSON] {
        var fields: [String: RawJSON] = [:]
        for member in members {
            guard fields.updateValue(member.value, forKey: member.name) == nil else {
                throw .malformed("\(place): field \"\(member.name.prefix(100))\" is given twice")
            }
        }
        return fields
    }
}
