/// The spool's on-disk form of a header list: for each header, the name's length
/// and bytes, then the value's length and bytes; lengths are LEB128 varints.
/// Compact and order-preserving, and independent of any JSON encoder's choices.
///
/// Kafka's NULL header value needs one more state than a length can say, so a
/// list holding one is written in a second form: the marker `0x80 0x00`, then
/// each header as the name's length and bytes and the value's length plus one
/// (0 for NULL) and bytes. The marker is an overlong varint for 0, which the
/// first form never writes (it writes the name lengths canonically, 0 as `0x00`),
/// so a list stored by an earlier version always decodes as it did. Lists with
/// no NULL value are still written in the first form, byte for byte as before.
enum RecordHeaderCodec {
    /// Stored bytes that are not a header list this codec wrote: refused, never
    /// repaired into headers nobody sent.
    struct DecodingError: Error, CustomStringConvertible {
        /// What is wrong, and in which header (counted from 1).
        var detail: String

        var description: String { "stored record headers are malformed: \(detail)" }
    }

    /// The first bytes of a list in the form that can hold NULL values.
    static let nullableMarker: [UInt8] = [0x80, 0x00]

    static func encode(_ headers: [RecordHeader]) -> [UInt8]? {
        guard !headers.isEmpty else { return nil }
        let nullable = headers.contains { $0.value == nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headers.reduce(nullable ? 2 : 0) { $0 + $1.name.utf8.count + ($1.value?.count ?? 0) + 4 })
        if nullable { bytes.append(contentsOf: nullableMarker) }
        for header in headers {
            appendVarint(header.name.utf8.count, to: &bytes)
            bytes.append(contentsOf: header.name.utf8)
            if let value = header.value {
                appendVarint(nullable ? value.count + 1 : value.count, to: &bytes)
                bytes.append(contentsOf: value)
            } else {
                appendVarint(0, to: &bytes)
            }
        }
        return bytes
    }

    static func decode(_ bytes: [UInt8]?) throws -> [RecordHeader] {
        guard let bytes, !bytes.isEmpty else { return [] }
        let nullable = bytes.count >= nullableMarker.count && bytes[0] == nullableMarker[0] && bytes[1] == nullableMarker[1]
        var headers: [RecordHeader] = []
        var index = nullable ? nullableMarker.count : 0
        while index < bytes.count {
            let number = headers.count + 1
            let nameLength = try readVarint(bytes, &index, "header \(number)'s name length")
            guard nameLength <= bytes.count - index else {
                throw DecodingError(detail: "header \(number)'s name is \(nameLength) bytes long, but only \(bytes.count - index) remain")
            }
            // Names were written as UTF-8: other bytes are damage, not text to repair with U+FFFD.
            guard let name = String(validating: bytes[index..<(index + nameLength)], as: UTF8.self) else {
                throw DecodingError(detail: "header \(number)'s name is not UTF-8")
            }
            index += nameLength
            var valueLength = try readVarint(bytes, &index, "header \(number)'s value length")
            if nullable {
                guard valueLength > 0 else {
                    headers.append(RecordHeader(name: name, value: nil))
                    continue
                }
                valueLength -= 1
            }
            guard valueLength <= bytes.count - index else {
                throw DecodingError(detail: "header \(number)'s value is \(valueLength) bytes long, but only \(bytes.count - index) remain")
            }
            headers.append(RecordHeader(name: name, value: Array(bytes[index..<(index + valueLength)])))
            index += valueLength
        }
        return headers
    }

    private static func appendVarint(_ value: Int, to bytes: inout [UInt8]) {
        var value = UInt64(value)
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private static func readVarint(_ bytes: [UInt8], _ index: inout Int, _ what: String) throws -> Int {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count, shift < 64 {
            let byte = bytes[index]
            index += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return Int(clamping: result) }
            shift += 7
        }
        throw DecodingError(detail: index < bytes.count ? "\(what) runs beyond 64 bits" : "\(what) is cut short")
    }
}
