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
            items = try decodeLines(body, decoder)
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

    /// NDJSON: decoded in one pass as if it were an array (one decoder call, not
    /// one per line); only when that fails is it decoded line by line, to name the bad line.
    private static func decodeLines(_ body: [UInt8], _ decoder: JSONDecoder) throws(IngestError) -> [Item] {
        let lines = body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let isBlank = { (line: ArraySlice<UInt8>) in !line.contains(where: { !($0 == 0x20 || $0 == 0x0D || $0 == 0x09) }) }
        var array: [UInt8] = [UInt8(ascii: "[")]
        array.reserveCapacity(body.count + lines.count + 2)
        var first = true
        for line in lines where !isBlank(line) {
            if !first { array.append(UInt8(ascii: ",")) }
            array.append(contentsOf: line)
            first = false
        }
        array.append(UInt8(ascii: "]"))
        if let items = try? decoder.decode([Item].self, from: Data(array)) {
            return items
        }
        for (index, line) in lines.enumerated() where !isBlank(line) {
            do {
                _ = try decoder.decode(Item.self, from: Data(line))
            } catch let error as DecodingError {
                throw .malformed("line \(index + 1): \(error.clientDescription)")
            } catch {
                throw .malformed("line \(index + 1): malformed JSON")
            }
        }
        // Every line decodes alone, yet not together (a line holding two objects, say).
        throw .malformed("malformed NDJSON: put exactly one JSON object on each line")
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
