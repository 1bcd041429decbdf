import Spillway
import SpillwaySpool

/// The body of `POST /v1/topics/{topic}/records`: a JSON array of records (a
/// single record object is a batch of one), or NDJSON, one record object per
/// line. Each record follows `IngestRecord.Schema.batch`.
package enum NativeBatch {
    package static let contentTypes = ["application/json", "application/x-ndjson"]

    /// Parses the body into records for `topic`, or a per-index reason. A body
    /// that is not the format it claims, or a record of the wrong shape, fails
    /// the whole request, naming where; a record whose data cannot be decoded
    /// (bad base64) is refused alone.
    /// - Parameter mediaType: the request's content type without parameters;
    ///   without one, a body that is one JSON value is JSON, anything else NDJSON.
    package static func decode(_ body: [UInt8], topic: String, mediaType: String?) throws(IngestError) -> [Result<OutgoingRecord, IngestRejection>] {
        let items: [Result<IngestRecord, IngestRecord.Problem>]
        switch mediaType {
        case "application/json":
            items = try decodeJSON(body)
        case "application/x-ndjson":
            items = try decodeLines(body)
        default:
            if let document = try? RawJSONParser.parse(body) {
                items = try records(of: document)
            } else {
                items = try decodeLines(body)
            }
        }
        guard !items.isEmpty else { throw .malformed("the batch holds no records") }
        return items.map { item in
            switch item {
            case .success(let record):
                return .success(OutgoingRecord(topic: topic, key: record.key, value: record.value, headers: record.headers, partition: record.partition))
            case .failure(let problem):
                return .failure(IngestRejection(reason: problem.description))
            }
        }
    }

    /// One JSON value: an array of records, or one record.
    private static func decodeJSON(_ body: [UInt8]) throws(IngestError) -> [Result<IngestRecord, IngestRecord.Problem>] {
        let document: RawJSON
        do {
            document = try RawJSONParser.parse(body)
        } catch {
            throw .malformed(error.located(in: body))
        }
        return try records(of: document)
    }

    private static func records(of document: RawJSON) throws(IngestError) -> [Result<IngestRecord, IngestRecord.Problem>] {
        switch document.kind {
        case .array(let elements):
            var items: [Result<IngestRecord, IngestRecord.Problem>] = []
            items.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                items.append(try record(element, at: "[\(index)]"))
            }
            return items
        case .object:
            return [try record(document, at: "the record")]
        default:
            throw .malformed("expected an array of records or one record object, found \(document.typeName)")
        }
    }

    /// NDJSON: each line is exactly one JSON value, a record object; blank lines
    /// are skipped, and a line may end in CRLF. A line break inside a string is
    /// not JSON, so no record can span lines.
    private static func decodeLines(_ body: [UInt8]) throws(IngestError) -> [Result<IngestRecord, IngestRecord.Problem>] {
        var items: [Result<IngestRecord, IngestRecord.Problem>] = []
        var lineNumber = 0
        for line in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            guard line.contains(where: { !($0 == 0x20 || $0 == 0x0D || $0 == 0x09) }) else { continue }
            let json: RawJSON
            do {
                json = try RawJSONParser.parse(line)
            } catch {
                throw .malformed("line \(lineNumber): \(error.atColumn)")
            }
            items.append(try record(json, at: "line \(lineNumber)"))
        }
        return items
    }

    private static func record(_ json: RawJSON, at place: String) throws(IngestError) -> Result<IngestRecord, IngestRecord.Problem> {
        do {
            return .success(try IngestRecord.decode(json, schema: .batch))
        } catch where error.kind == .content {
            return .failure(error)
        } catch {
            throw .malformed("\(place): \(error.description)")
        }
    }
}

/// Why one record of a batch was not taken.
package struct IngestRejection: Error, Sendable, Equatable {
    package var reason: String
}
