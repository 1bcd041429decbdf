import Foundation
import SpillwaySpool

/// One line of `spool export`: a spooled record as JSON. Bytes that are valid
/// UTF-8 are written as text, others as base64, and the encoding is recorded,
/// so import gives back exactly the same bytes.
struct ExportedRecord: Codable, Equatable {
    enum Encoding: String, Codable {
        case utf8
        case base64
    }

    struct Header: Codable, Equatable {
        var name: String
        var value: String
        var encoding: Encoding
    }

    var id: Int64
    var topic: String
    var key: String?
    var keyEncoding: Encoding?
    var value: String
    var valueEncoding: Encoding
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
        (value, valueEncoding) = Self.encode(record.value)
        if !record.headers.isEmpty {
            headers = record.headers.map { header in
                let (value, encoding) = Self.encode(header.value)
                return Header(name: header.name, value: value, encoding: encoding)
            }
        }
        partition = record.partition
        createdAtMs = record.timestamp
        attempts = record.attempts
        deadLetterReason = spooled.deadLetterReason
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    func jsonLine() throws -> String {
        String(decoding: try Self.encoder.encode(self), as: UTF8.self)
    }

    /// Parses one line, with errors that say which field is wrong.
    static func decode(_ line: String) throws -> ExportedRecord {
        do {
            return try JSONDecoder().decode(ExportedRecord.self, from: Data(line.utf8))
        } catch let error as DecodingError {
            throw CLIError(describe(error))
        }
    }

    func spooledRecord() throws -> SpooledRecord {
        let record = Record(
            topic: topic,
            key: try key.map { try Self.decode($0, keyEncoding ?? .utf8, field: "key") },
            value: try Self.decode(value, valueEncoding, field: "value"),
            headers: try (headers ?? []).map { header in
                RecordHeader(name: header.name, value: try Self.decode(header.value, header.encoding, field: "header \(header.name)"))
            },
            partition: partition,
            timestamp: createdAtMs,
            attempts: attempts
        )
        return SpooledRecord(id: id, record: record, cost: Spool.cost(of: record), deadLetterReason: deadLetterReason)
    }

    private static func encode(_ bytes: [UInt8]) -> (String, Encoding) {
        if let text = String(validating: bytes, as: UTF8.self) { return (text, .utf8) }
        return (Data(bytes).base64EncodedString(), .base64)
    }

    private static func decode(_ text: String, _ encoding: Encoding, field: String) throws -> [UInt8] {
        switch encoding {
        case .utf8:
            return Array(text.utf8)
        case .base64:
            guard let data = Data(base64Encoded: text) else { throw CLIError("\(field) is not valid base64") }
            return Array(data)
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .keyNotFound(key, _): return "missing field \"\(key.stringValue)\""
        case let .typeMismatch(_, context): return "field \"\(path(context))\" has the wrong type"
        case let .valueNotFound(_, context): return "field \"\(path(context))\" is null"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty ? "not valid JSON" : "field \"\(path(context))\" is invalid: \(context.debugDescription)"
        @unknown default: return "invalid record"
        }
    }
}
