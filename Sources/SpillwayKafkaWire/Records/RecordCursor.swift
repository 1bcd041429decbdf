/// Reads a record's fields (zigzag varints, length-prefixed bytes) from
/// contiguous memory: the batch's bytes or its decompressed records. Pointer
/// based because it runs for every field of every produced record.
struct RecordCursor {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - position }
    var atEnd: Bool { position == bytes.count }

    mutating func byte(_ field: StaticString) throws(RecordBatchError) -> UInt8 {
        guard position < bytes.count else { throw .invalid("truncated", "record \(field): the record ends before this field") }
        defer { position += 1 }
        return bytes[position]
    }

    /// A zigzag varint of at most 5 bytes (Kafka's ByteUtils.readVarint).
    mutating func varint(_ field: StaticString) throws(RecordBatchError) -> Int32 {
        let raw = try unsignedVarint(field, maxBytes: 5)
        guard raw <= UInt64(UInt32.max) else { throw .invalid("varint", "record \(field): varint longer than 32 bits") }
        let value = UInt32(raw)
        return Int32(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }

    /// A zigzag varlong of at most 10 bytes (Kafka's ByteUtils.readVarlong).
    mutating func varlong(_ field: StaticString) throws(RecordBatchError) -> Int64 {
        let value = try unsignedVarint(field, maxBytes: 10)
        return Int64(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }

    private mutating func unsignedVarint(_ field: StaticString, maxBytes: Int) throws(RecordBatchError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        for index in 0..<maxBytes {
            guard position < bytes.count else { throw .invalid("truncated", "record \(field): the record ends inside a varint") }
            let byte = bytes[position]
            position += 1
            if index == 9, byte > 1 { throw .invalid("varint", "record \(field): varlong longer than 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw .invalid("varint", "record \(field): varint longer than \(maxBytes) bytes")
    }

    /// Bytes with a varint length, -1 for null; copied out once.
    mutating func nullableBytes(_ field: StaticString) throws(RecordBatchError) -> [UInt8]? {
        let length = try varint(field)
        if length == -1 { return nil }
        return try bytes(field, length: length)
    }

    mutating func bytes(_ field: StaticString, length: Int32) throws(RecordBatchError) -> [UInt8] {
        guard length >= 0 else { throw .invalid("record", "record \(field): negative length \(length)") }
        guard Int(length) <= remaining else {
            throw .invalid("truncated", "record \(field): \(length) bytes announced but only \(remaining) left in the record")
        }
        defer { position += Int(length) }
        return Array(UnsafeRawBufferPointer(rebasing: bytes[position..<position + Int(length)]))
    }

    /// A UTF-8 string with a varint length, validated in place (nil if not UTF-8).
    mutating func utf8String(_ field: StaticString) throws(RecordBatchError) -> String? {
        let length = try varint(field)
        guard length >= 0 else { throw .invalid("record", "record \(field): negative length \(length)") }
        guard Int(length) <= remaining else {
            throw .invalid("truncated", "record \(field): \(length) bytes announced but only \(remaining) left in the record")
        }
        defer { position += Int(length) }
        return String(validating: UnsafeRawBufferPointer(rebasing: bytes[position..<position + Int(length)]), as: UTF8.self)
    }

    /// A cursor over the next `length` bytes, which this one skips.
    mutating func subcursor(length: Int) -> RecordCursor {
        defer { position += length }
        return RecordCursor(UnsafeRawBufferPointer(rebasing: bytes[position..<position + length]))
    }
}
