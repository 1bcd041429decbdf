import Foundation
import Spillway
import SpillwaySpool

/// The body of `POST /v1/topics/{topic}/records`: a JSON array, or NDJSON, of
/// `{key?, key_encoding?, value, value_encoding?, headers?, partition?}`.
enum NativeBatch {
    enum Encoding: String, Decodable {
        case utf8
        case base64
    }

    struct Item: Decodable {
        var key: String?
        var keyEncoding: Encoding?
        var value: String
        var valueEncoding: Encoding?
        var headers: [String: String]?
        var partition: Int32?

        enum CodingKeys: String, CodingKey {
            case key, value, headers, partition
            case keyEncoding = "key_encoding"
            case valueEncoding = "value_encoding"
        }
    }

    static let contentTypes = ["application/json", "application/x-ndjson"]

    /// Parses the body into records for `topic`, or a per-index reason.
    /// Structural problems fail the whole request, naming where.
    static func decode(_ body: [UInt8], topic: String) throws(IngestError) -> [Result<OutgoingRecord, IngestRejection>] {
        let items: [Item]
        let firstByte = body.first { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
        let decoder = JSONDecoder()
        if firstByte == UInt8(ascii: "[") {
            do {
                items = try decoder.decode([Item].self, from: Data(body))
            } catch let error as DecodingError {
                throw .malformed(error.clientDescription)
            } catch {
                throw .malformed("malformed JSON: \(error)")
            }
        } else {
            var parsed: [Item] = []
            var lineNumber = 0
            for line in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                lineNumber += 1
                guard line.contains(where: { !($0 == 0x20 || $0 == 0x0D || $0 == 0x09) }) else { continue }
                do {
                    parsed.append(try decoder.decode(Item.self, from: Data(line)))
                } catch let error as DecodingError {
                    throw .malformed("line \(lineNumber): \(error.clientDescription)")
                } catch {
                    throw .malformed("line \(lineNumber): malformed JSON")
                }
            }
            items = parsed
        }
        guard !items.isEmpty else { throw .malformed("the batch holds no records") }
        return items.map { item in
            guard let value = bytes(item.value, item.valueEncoding ?? .utf8) else {
                return .failure(IngestRejection(reason: "value is not valid base64"))
            }
            var key: [UInt8]?
            if let itemKey = item.key {
                guard let decoded = bytes(itemKey, item.keyEncoding ?? .utf8) else {
                    return .failure(IngestRejection(reason: "key is not valid base64"))
                }
                key = decoded
            }
            let headers = (item.headers ?? [:]).sorted { $0.key < $1.key }.map { RecordHeader(name: $0.key, value: Array($0.value.utf8)) }
            return .success(OutgoingRecord(topic: topic, key: key, value: value, headers: headers, partition: item.partition))
        }
    }

    static func bytes(_ text: String, _ encoding: Encoding) -> [UInt8]? {
        switch encoding {
        case .utf8: Array(text.utf8)
        case .base64: Data(base64Encoded: text).map(Array.init)
        }
    }
}

/// Why one record of a batch was not taken.
struct IngestRejection: Error, Sendable, Equatable {
    var reason: String
}
