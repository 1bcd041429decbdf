import Spillway
import SpillwaySpool

/// One record as `POST /v1/topics/{topic}/records` and `spillway spool import`
/// read it: one schema for both, so a record means the same wherever it comes in.
///
/// `{"value": "…" | null, "value_encoding"?: "utf8" | "base64", "key"?, "key_encoding"?,
///   "headers"?: {name: value} | [{"name", "value", "encoding"?}], "partition"?}`,
/// plus, for import only, `"topic"` (required), `"id"`, `"created_at_ms"`,
/// `"attempts"` and `"dead_letter_reason"`. Unknown or repeated fields are refused:
/// ignoring a misspelt `partiton` would change the record without a word.
/// `"value": null` is Kafka's NULL value (a tombstone), and a header's `null`
/// value its NULL header value; the field must still be given, so a forgotten
/// value is refused rather than sent as a tombstone.
package struct IngestRecord: Sendable, Equatable {
    package enum Field: String, CaseIterable, Sendable {
        case topic, key, value, headers, partition, id, attempts
        case keyEncoding = "key_encoding"
        case valueEncoding = "value_encoding"
        case createdAtMs = "created_at_ms"
        case deadLetterReason = "dead_letter_reason"
    }

    /// Which fields a reader takes, and which it requires.
    package struct Schema: Sendable {
        package var allowed: [Field]
        package var required: [Field]

        /// A line of a native batch: the topic is in the path.
        package static let batch = Schema(allowed: [.key, .keyEncoding, .value, .valueEncoding, .headers, .partition], required: [.value])
        /// A line of `spool import`: the batch's fields, the topic, and what the spool keeps.
        package static let spoolImport = Schema(allowed: Field.allCases, required: [.topic, .value])
    }

    /// Why a record object was not read. `.shape` problems (a missing or mistyped
    /// field) mean the sender got the format wrong; `.content` ones (bad base64)
    /// are about one record's data.
    package struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        package enum Kind: Sendable { case shape, content }
        package var kind: Kind
        package var description: String
    }

    package var topic: String?
    package var key: [UInt8]?
    /// `nil`: Kafka's NULL value.
    package var value: [UInt8]?
    package var headers: [RecordHeader] = []
    package var partition: Int32?
    package var id: Int64?
    package var createdAtMs: Int64?
    package var attempts: Int?
    package var deadLetterReason: String?

    /// Reads a record object parsed by `RawJSONParser`.
    package static func decode(_ json: RawJSON, schema: Schema) throws(Problem) -> IngestRecord {
        guard case .object(let members) = json.kind else { throw shape("expected a record object, found \(json.typeName)") }
        var fields: [Field: RawJSON] = [:]
        for member in members {
            guard let field = Field(rawValue: member.name), schema.allowed.contains(field) else {
                let known = schema.allowed.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                throw shape("unknown field \"\(member.name.prefix(100))\"; a record has \(known)")
            }
            guard fields.updateValue(member.value, forKey: field) == nil else { throw shape("field \"\(field.rawValue)\" is given twice") }
        }
        // `value` may be null (a tombstone), but must be there.
        for field in schema.required where fields[field] == nil || (field != .value && fields[field]!.isNull) {
            throw shape("missing field \"\(field.rawValue)\"")
        }

        let valueEncoding = try encoding(fields[.valueEncoding], .valueEncoding)
        let keyEncoding = try encoding(fields[.keyEncoding], .keyEncoding)
        var record = IngestRecord(value: [])
        record.topic = try optionalString(fields[.topic], .topic)
        if let value = try optionalString(fields[.value], .value) {
            record.value = try bytes(value, valueEncoding, "value")
        } else {
            record.value = nil
        }
        if let key = try optionalString(fields[.key], .key) {
            record.key = try bytes(key, keyEncoding, "key")
        }
        if let headers = fields[.headers] {
            record.headers = try Self.headers(headers)
        }
        record.partition = try optionalInteger(fields[.partition], .partition, in: Int64(Int32.min)...Int64(Int32.max)).map { Int32($0) }
        record.id = try optionalInteger(fields[.id], .id, in: 1...Int64.max)
        // -1 is Kafka's "no timestamp": intake takes it, so an export holds it.
        record.createdAtMs = try optionalInteger(fields[.createdAtMs], .createdAtMs, in: -1...Int64.max)
        record.attempts = try optionalInteger(fields[.attempts], .attempts, in: 0...Int64(Int32.max)).map { Int($0) }
        record.deadLetterReason = try optionalString(fields[.deadLetterReason], .deadLetterReason)
        return record
    }

    // MARK: Fields

    private enum Encoding: String {
        case utf8, base64
    }

    private static func encoding(_ json: RawJSON?, _ field: Field) throws(Problem) -> Encoding {
        guard let name = try optionalString(json, field) else { return .utf8 }
        guard let encoding = Encoding(rawValue: name) else {
            throw shape("\(field.rawValue): \"\(name.prefix(100))\" is not an encoding; use \"utf8\" or \"base64\"")
        }
        return encoding
    }

    private static func bytes(_ text: String, _ encoding: Encoding, _ what: String) throws(Problem) -> [UInt8] {
        switch encoding {
        case .utf8:
            return Array(text.utf8)
        case .base64:
            do {
                return try StrictBase64.decode(text)
            } catch {
                throw Problem(kind: .content, description: "\(what) \(error)")
            }
        }
    }

    /// `{name: value}` (UTF-8 values), or `[{"name", "value", "encoding"?}]`, which
    /// keeps order, repeated names and binary values (the `spool export` form).
    private static func headers(_ json: RawJSON) throws(Problem) -> [RecordHeader] {
        switch json.kind {
        case .null:
            return []
        case .object(let members):
            var seen = Set<String>()
            var headers: [RecordHeader] = []
            for member in members {
                guard seen.insert(member.name).inserted else {
                    throw shape("headers: \"\(member.name.prefix(100))\" is given twice; to send a header name more than once, list headers as [{\"name\", \"value\"}]")
                }
                let value: [UInt8]?
                switch member.value.kind {
                case .string(let text): value = Array(text.utf8)
                case .null: value = nil
                default: throw shape("headers.\(member.name.prefix(100)): expected a string or null, found \(member.value.typeName)")
                }
                try checkHeaderName(member.name)
                headers.append(RecordHeader(name: member.name, value: value))
            }
            return headers
        case .array(let elements):
            var headers: [RecordHeader] = []
            for (index, element) in elements.enumerated() {
                guard case .object(let members) = element.kind else {
                    throw shape("headers[\(index)]: expected {\"name\", \"value\", \"encoding\"?}, found \(element.typeName)")
                }
                var name: String?
                // Given (`.some`), and then a string or null (a NULL header value).
                var value: String??
                var encoding: Encoding?
                for member in members {
                    switch member.name {
                    case "name":
                        guard name == nil else { throw shape("headers[\(index)]: field \"name\" is given twice") }
                        guard case .string(let text) = member.value.kind else { throw shape("headers[\(index)].name: expected a string, found \(member.value.typeName)") }
                        name = text
                    case "value":
                        guard value == nil else { throw shape("headers[\(index)]: field \"value\" is given twice") }
                        switch member.value.kind {
                        case .string(let text): value = .some(text)
                        case .null: value = .some(nil)
                        default: throw shape("headers[\(index)].value: expected a string or null, found \(member.value.typeName)")
                        }
                    case "encoding":
                        // A second encoding must not silently decide how the value is read.
                        guard encoding == nil else { throw shape("headers[\(index)]: field \"encoding\" is given twice") }
                        guard case .string(let text) = member.value.kind, let chosen = Encoding(rawValue: text) else {
                            throw shape("headers[\(index)].encoding: use \"utf8\" or \"base64\"")
                        }
                        encoding = chosen
                    default:
                        throw shape("headers[\(index)]: unexpected field \"\(member.name.prefix(100))\"; a header has \"name\", \"value\" and \"encoding\"")
                    }
                }
                guard let name else { throw shape("headers[\(index)]: missing field \"name\"") }
                guard let value else { throw shape("headers[\(index)]: missing field \"value\"") }
                try checkHeaderName(name)
                headers.append(RecordHeader(name: name, value: try value.map { text throws(Problem) in try bytes(text, encoding ?? .utf8, "header \(name.prefix(100))") }))
            }
            return headers
        default:
            throw shape("headers: expected an object or an array, found \(json.typeName)")
        }
    }

    /// Kafka needs a name, and librdkafka takes it as a C string: a NUL would cut it short.
    private static func checkHeaderName(_ name: String) throws(Problem) {
        if name.isEmpty {
            throw Problem(kind: .content, description: "a header has an empty name; Kafka headers need one")
        }
        if name.utf8.contains(0) {
            throw Problem(kind: .content, description: "a header name holds a NUL character (\\u0000), at which Kafka clients would cut it short")
        }
    }

    private static func string(_ json: RawJSON, _ field: Field) throws(Problem) -> String {
        guard case .string(let text) = json.kind else { throw shape("\(field.rawValue): expected a string, found \(json.typeName)") }
        return text
    }

    private static func optionalString(_ json: RawJSON?, _ field: Field) throws(Problem) -> String? {
        guard let json, !json.isNull else { return nil }
        return try string(json, field)
    }

    /// Integers only: `3.0` or `3e0` are refused rather than rounded.
    private static func optionalInteger(_ json: RawJSON?, _ field: Field, in range: ClosedRange<Int64>) throws(Problem) -> Int64? {
        guard let json, !json.isNull else { return nil }
        guard case .number = json.kind, let text = json.integerText, let value = Int64(text), range.contains(value) else {
            throw shape("\(field.rawValue): expected an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    private static func shape(_ message: String) -> Problem {
        Problem(kind: .shape, description: message)
    }
}
