import NIOCore

/// Reads Kafka's primitive types from a request body, in classic or flexible
/// (compact, KIP-482) form. Every read checks what is left, so a lying length or
/// a truncated frame is a `.malformed` error, never a trap or a huge allocation.
struct KafkaWireReader {
    var buffer: ByteBuffer
    /// Whether strings, arrays and bytes are compact and structs end in tagged fields.
    var flexible: Bool

    init(_ buffer: ByteBuffer, flexible: Bool = false) {
        self.buffer = buffer
        self.flexible = flexible
    }

    var remaining: Int { buffer.readableBytes }

    mutating func int8(_ field: StaticString) throws(KafkaWireError) -> Int8 {
        guard let value = buffer.readInteger(as: Int8.self) else { throw truncated(field) }
        return value
    }

    mutating func int16(_ field: StaticString) throws(KafkaWireError) -> Int16 {
        guard let value = buffer.readInteger(as: Int16.self) else { throw truncated(field) }
        return value
    }

    mutating func int32(_ field: StaticString) throws(KafkaWireError) -> Int32 {
        guard let value = buffer.readInteger(as: Int32.self) else { throw truncated(field) }
        return value
    }

    mutating func int64(_ field: StaticString) throws(KafkaWireError) -> Int64 {
        guard let value = buffer.readInteger(as: Int64.self) else { throw truncated(field) }
        return value
    }

    mutating func bool(_ field: StaticString) throws(KafkaWireError) -> Bool {
        try int8(field) != 0
    }

    mutating func uuid(_ field: StaticString) throws(KafkaWireError) -> [UInt8] {
        guard let bytes = buffer.readBytes(length: 16) else { throw truncated(field) }
        return bytes
    }

    /// An unsigned varint of at most 5 bytes (the compact lengths and tag numbers).
    mutating func unsignedVarint(_ field: StaticString) throws(KafkaWireError) -> UInt32 {
        var result: UInt32 = 0
        for index in 0..<5 {
            guard let byte = buffer.readInteger(as: UInt8.self) else { throw truncated(field) }
            if index == 4, byte > 0x0F {
                throw .malformed("\(field): unsigned varint longer than 32 bits")
            }
            result |= UInt32(byte & 0x7F) << (7 * UInt32(index))
            if byte & 0x80 == 0 { return result }
        }
        throw .malformed("\(field): unsigned varint longer than 5 bytes")
    }

    /// A length: int16 (strings) or int32 (bytes, arrays) classic, or compact
    /// (unsigned varint of length + 1). nil for null (-1, or 0 compact).
    private mutating func length(_ field: StaticString, classicWidth: Int) throws(KafkaWireError) -> Int? {
        let length: Int
        if flexible {
            length = Int(try unsignedVarint(field)) - 1
        } else if classicWidth == 2 {
            length = Int(try int16(field))
        } else {
            length = Int(try int32(field))
        }
        if length == -1 { return nil }
        guard length >= 0 else { throw .malformed("\(field): negative length \(length)") }
        return length
    }

    mutating func nullableString(_ field: StaticString) throws(KafkaWireError) -> String? {
        guard let length = try length(field, classicWidth: 2) else { return nil }
        guard length <= buffer.readableBytes else {
            throw .malformed("\(field): string of \(length) bytes but only \(buffer.readableBytes) left in the frame")
        }
        let string = buffer.withUnsafeReadableBytes { String(validating: $0.prefix(length), as: UTF8.self) }
        guard let string else { throw .malformed("\(field): string is not valid UTF-8") }
        buffer.moveReaderIndex(forwardBy: length)
        return string
    }

    mutating func string(_ field: StaticString) throws(KafkaWireError) -> String {
        guard let string = try nullableString(field) else { throw .malformed("\(field): null where a string is required") }
        return string
    }

    /// Nullable bytes, as a slice of the frame (no copy).
    mutating func nullableBytes(_ field: StaticString) throws(KafkaWireError) -> ByteBuffer? {
        guard let length = try length(field, classicWidth: 4) else { return nil }
        guard let slice = buffer.readSlice(length: length) else {
            throw .malformed("\(field): \(length) bytes announced but only \(buffer.readableBytes) left in the frame")
        }
        return slice
    }

    /// An array's element count, nil for a null array. Each element takes at
    /// least `minimumElementBytes`, so a count the frame cannot hold is refused
    /// before anything is allocated for it.
    mutating func arrayCount(_ field: StaticString, minimumElementBytes: Int = 1) throws(KafkaWireError) -> Int? {
        guard let count = try length(field, classicWidth: 4) else { return nil }
        guard count <= buffer.readableBytes / max(1, minimumElementBytes) else {
            throw .malformed("\(field): \(count) elements announced but only \(buffer.readableBytes) bytes left in the frame")
        }
        return count
    }

    mutating func array<Element>(
        _ field: StaticString, minimumElementBytes: Int = 1, _ element: (inout KafkaWireReader) throws(KafkaWireError) -> Element
    ) throws(KafkaWireError) -> [Element]? {
        guard let count = try arrayCount(field, minimumElementBytes: minimumElementBytes) else { return nil }
        var elements: [Element] = []
        elements.reserveCapacity(count)
        for _ in 0..<count { elements.append(try element(&self)) }
        return elements
    }

    /// Skips a flexible struct's tagged fields: Spillway reads none of the
    /// optional ones, and a newer client may send tags we do not know.
    mutating func skipTaggedFields() throws(KafkaWireError) {
        guard flexible else { return }
        let count = try unsignedVarint("tagged fields count")
        var previousTag: Int64 = -1
        for _ in 0..<count {
            let tag = Int64(try unsignedVarint("tag"))
            guard tag > previousTag else { throw .malformed("tagged fields: tag \(tag) after tag \(previousTag) (tags must increase)") }
            previousTag = tag
            let size = Int(try unsignedVarint("tagged field size"))
            guard buffer.readableBytes >= size else {
                throw .malformed("tagged field \(tag): \(size) bytes announced but only \(buffer.readableBytes) left")
            }
            buffer.moveReaderIndex(forwardBy: size)
        }
    }

    /// Refuses bytes after the last field: they mean client and server disagree on the layout.
    func expectEnd(_ message: @autoclosure () -> String) throws(KafkaWireError) {
        guard buffer.readableBytes == 0 else {
            throw .malformed("\(message()): \(buffer.readableBytes) bytes left after the last field")
        }
    }

    private func truncated(_ field: StaticString) -> KafkaWireError {
        .malformed("\(field): the frame ends before this field")
    }
}
