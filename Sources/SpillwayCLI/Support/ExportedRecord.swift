import Foundation
import Spillway
import SpillwayService
import SpillwaySpool

/// One line of `spool export`: a spooled record as JSON. Bytes that are valid
/// UTF-8 are written as text, others as base64, and the encoding is recorded,
/// so import gives back exactly the same bytes. Kafka's NULL value, or a NULL
/// header value, is written as `"value": null` (no encoding), never left out:
/// import requires the field. Import reads it back through `IngestRecord`, the
/// schema intake uses.
struct ExportedRecord: Codable, Equatable {
    enum Encoding: String, Codable {
        case utf8
        case base64
    }

    struct Header: Codable, Equatable {
        var name: String
        /// `nil`: a NULL header value, written as `null`.
        var value: String?
        var encoding: Encoding?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(value, forKey: .value)
            try container.encodeIfPresent(encoding, forKey: .encoding)
        }
    }

    var id: Int64
    var topic: String
    var key: String?
    var keyEncoding: Encoding?
    /// `nil`: Kafka's NULL value, written as `null`.
    var value: String?
    var valueEncoding: Encoding?
    var headers: [Header]?
    var partition: Int32?
    var createdAtMs: Int64
    var attempts: Int
    var deadLetterReason: String?

    enum CodingKeys: String, CodingKey {
        case id, topic, key, value, headers, partition, attempts
        case keyEncoding = "key_encoding"
        case valueEncoding = "value_encoding"
        case createdAtMs = "created_at_ms"
        case deadLetterReason = "dead_letter_reason"
    }

    init(_ spooled: SpooledRecord) {
        let record = spooled.record
        id = spooled.id
        topic = record.topic
        if let key = record.key {
            (self.key, keyEncoding) = Self.encode(key)
        }
        if let value = record.value {
            (self.value, valueEncoding) = Self.encode(value)
        }
        if !record.headers.isEmpty {
            headers = record.headers.map { header in
                guard let value = header.value else { return Header(name: header.name, value: nil, encoding: nil) }
                let (text, encoding) = Self.encode(value)
                return Header(name: header.name, value: text, encoding: encoding)
            }
        }
        partition = record.partition
        createdAtMs = record.timestamp
        attempts = record.attempts
        deadLetterReason = spooled.deadLetterReason
    }

    /// As synthesized, but `value` is always written, `null` for a NULL value.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(topic, forKey: .topic)
        try container.encodeIfPresent(key, forKey: .key)
        try container.encodeIfPresent(keyEncoding, forKey: .keyEncoding)
        try container.encode(value, forKey: .value)
        try container.encodeIfPresent(valueEncoding, forKey: .valueEncoding)
        try container.encodeIfPresent(headers, forKey: .headers)
        try container.encodeIfPresent(partition, forKey: .partition)
        try container.encode(createdAtMs, forKey: .createdAtMs)
        try container.encode(attempts, forKey: .attempts)
        try container.encodeIfPresent(deadLetterReason, forKey: .deadLetterReason)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    func jsonLine() throws -> String {
        String(decoding: try Self.encoder.encode(self), as: UTF8.self)
    }

    /// Reads one line of an export, or of records from elsewhere, by the schema
    /// intake uses (`IngestRecord.Schema.spoolImport`: only `topic` and `value` are
    /// required), and checks it as intake checks a record. A missing id (0) lets
    /// the spool choose one; a missing creation time is `now`.
    static func spooledRecord(fromLine line: [UInt8], maxRecordBytes: Int, now: Int64) throws(CLIError) -> SpooledRecord {
        let fields: IngestRecord
        do {
            fields = try IngestRecord.decode(try RawJSONParser.parse(line), schema: .spoolImport)
        } catch let error as JSONSyntaxError {
            throw CLIError(error.atColumn)
        } catch {
            throw CLIError("\(error)")
        }
        let topic = fields.topic ?? ""
        let record = Record(
            topic: topic,
            key: fields.key,
            value: fields.value,
            headers: fields.headers,
            partition: fields.partition,
            timestamp: fields.createdAtMs ?? now,
            attempts: fields.attempts ?? 0
        )
        if let rejection = Rejection.check(topic: topic, payloadSize: record.payloadSize, partition: record.partition, maxRecordBytes: maxRecordBytes) {
            throw CLIError(rejection.description)
        }
        return SpooledRecord(id: fields.id ?? 0, record: record, cost: Spool.cost(of: record), deadLetterReason: fields.deadLetterReason)
    }

    private static func encode(_ bytes: [UInt8]) -> (String, Encoding) {
        if let text = String(validating: bytes, as: UTF8.self) { return (text, .utf8) }
        return (Data(bytes).base64EncodedString(), .base64)
    }
}
