import Foundation
import Spillway
import SpillwaySpool

/// What Foundation's own JSON and base64 readers make of a request, to check
/// Spillway's decoders against: every record Spillway takes must be exactly
/// what an independent reader sees in the request.
enum ReferenceDecoder {
    struct Mismatch: Error, CustomStringConvertible {
        var description: String
    }

    /// Structural equality of two values from JSONSerialization (both read by it from equal text).
    static func equal(_ a: Any, _ b: Any) -> Bool {
        if let a = a as? [String: Any], let b = b as? [String: Any] {
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { equal(value, $0) } ?? false }
        }
        if let a = a as? [Any], let b = b as? [Any] {
            return a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
        }
        if let x = a as? String, let y = b as? String { return x == y }
        if a is NSNull || b is NSNull { return a is NSNull && b is NSNull }
        if type(of: a) == type(of: b) && String(describing: a) == String(describing: b) { return true }
        // Foundation may give one number as a Double here and a Decimal there (-1.5e-400, say).
        if let x = a as? NSNumber, let y = b as? NSNumber { return x.doubleValue == y.doubleValue }
        return false
    }

    static func json(_ bytes: some Collection<UInt8>) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    /// The record objects of a native batch body, as Foundation reads them.
    static func batchObjects(_ body: [UInt8], mediaType: String?) -> [Any]? {
        let wholeBody = mediaType == "application/json" || (mediaType == nil && json(body) != nil)
        if wholeBody {
            guard let document = json(body) else { return nil }
            return (document as? [Any]) ?? [document]
        }
        var objects: [Any] = []
        for line in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            guard line.contains(where: { !($0 == 0x20 || $0 == 0x0D || $0 == 0x09) }) else { continue }
            guard let object = json(line) else { return nil }
            objects.append(object)
        }
        return objects
    }

    /// Bytes of a string in an encoding, checking Spillway's strict base64 took
    /// only the canonical form of what Foundation decodes.
    static func expectBytes(_ ours: [UInt8]?, text: String?, encoding: String?, _ what: String) throws {
        guard let text else {
            if ours != nil { throw Mismatch(description: "\(what): Spillway has bytes where the request has none") }
            return
        }
        guard let ours else { throw Mismatch(description: "\(what): Spillway has none where the request has \"\(text.prefix(80))\"") }
        if encoding == "base64" {
            guard let reference = Data(base64Encoded: text), Array(reference) == ours else {
                throw Mismatch(description: "\(what): Spillway decoded base64 \"\(text.prefix(80))\" to \(ours.prefix(40)), Foundation does not agree")
            }
            guard Data(ours).base64EncodedString() == text else {
                throw Mismatch(description: "\(what): Spillway took non-canonical base64 \"\(text.prefix(80))\"")
            }
        } else if Array(text.utf8) != ours {
            throw Mismatch(description: "\(what): Spillway has \(ours.prefix(40)), the request says \"\(text.prefix(80))\"")
        }
    }

    static func checkBatch(_ record: OutgoingRecord, against object: Any, index: Int) throws {
        guard let fields = object as? [String: Any] else { throw Mismatch(description: "[\(index)]: taken, but Foundation sees no object") }
        try expectBytes(record.value, text: fields["value"] as? String, encoding: fields["value_encoding"] as? String, "[\(index)].value")
        try expectBytes(record.key, text: fields["key"] as? String, encoding: fields["key_encoding"] as? String, "[\(index)].key")
        if let partition = fields["partition"] as? NSNumber {
            guard record.partition == partition.int32Value, "\(partition)" == "\(partition.int32Value)" else {
                throw Mismatch(description: "[\(index)].partition: Spillway has \(String(describing: record.partition)), the request \(partition)")
            }
        } else if record.partition != nil {
            throw Mismatch(description: "[\(index)].partition: Spillway invented one")
        }
        var expected: [RecordHeader] = []
        if let object = fields["headers"] as? [String: Any], object.values.allSatisfy({ $0 is String || $0 is NSNull }) {
            // Spillway refuses repeated names, so the dictionary is the whole truth; its order is not.
            // A null value is a NULL header value.
            expected = object.map { RecordHeader(name: $0.key, value: ($0.value as? String).map { Array($0.utf8) }) }.sorted { $0.name < $1.name }
            let ours = record.headers.sorted { $0.name < $1.name }
            guard ours == expected else { throw Mismatch(description: "[\(index)].headers: Spillway has \(ours), the request \(expected)") }
            return
        }
        if let list = fields["headers"] as? [[String: Any]] {
            for (position, header) in list.enumerated() {
                guard position < record.headers.count, let name = header["name"] as? String, record.headers[position].name == name else {
                    throw Mismatch(description: "[\(index)].headers[\(position)]: names differ")
                }
                try expectBytes(record.headers[position].value, text: header["value"] as? String, encoding: header["encoding"] as? String, "[\(index)].headers[\(position)]")
            }
            guard list.count == record.headers.count else { throw Mismatch(description: "[\(index)].headers: counts differ") }
            return
        }
        guard record.headers.isEmpty else { throw Mismatch(description: "[\(index)].headers: Spillway invented some") }
    }

    static func checkRestProxy(_ record: OutgoingRecord, against object: Any, index: Int, binary: Bool) throws {
        guard let fields = object as? [String: Any] else { throw Mismatch(description: "records[\(index)]: taken, but Foundation sees no object") }
        func check(_ ours: [UInt8]?, _ field: String) throws {
            let reference = fields[field]
            // A null or missing value is a tombstone (Kafka's NULL), a null key no key.
            if reference == nil || reference is NSNull {
                guard ours == nil else { throw Mismatch(description: "records[\(index)].\(field): Spillway has bytes for a null") }
                return
            }
            if binary {
                try expectBytes(ours, text: reference as? String, encoding: "base64", "records[\(index)].\(field)")
                return
            }
            guard let ours, let forwarded = json(ours) else {
                throw Mismatch(description: "records[\(index)].\(field): what Spillway forwards is not JSON: \(String(decoding: (ours ?? []).prefix(80), as: UTF8.self))")
            }
            guard equal(forwarded, reference as Any) else {
                throw Mismatch(description: "records[\(index)].\(field): Spillway forwards \(String(decoding: ours.prefix(80), as: UTF8.self)), which is not the request's value")
            }
        }
        try check(record.value, "value")
        try check(record.key, "key")
    }
}
