import NIOCore

/// Writes request frames field by field from Kafka's JSON message specs, apart
/// from the library, for the versions no captured client sent.
struct RequestWriter {
    var buffer = ByteBuffer()
    let flexible: Bool

    /// Starts a request: header v1, or v2 (with `headerTags`) when flexible.
    init(key: Int16, version: Int16, correlationID: Int32 = 1, clientID: String? = "writer", flexible: Bool, headerTags: [(Int, [UInt8])] = []) {
        self.flexible = flexible
        buffer.writeInteger(key)
        buffer.writeInteger(version)
        buffer.writeInteger(correlationID)
        if let clientID {
            buffer.writeInteger(Int16(clientID.utf8.count))
            buffer.writeString(clientID)
        } else {
            buffer.writeInteger(Int16(-1))
        }
        if flexible { tags(headerTags) }
    }

    mutating func uvarint(_ value: Int) {
        var value = value
        while value >= 0x80 {
            buffer.writeInteger(UInt8(value & 0x7F | 0x80))
            value >>= 7
        }
        buffer.writeInteger(UInt8(value))
    }

    mutating func int8(_ value: Int8) { buffer.writeInteger(value) }
    mutating func int16(_ value: Int16) { buffer.writeInteger(value) }
    mutating func int32(_ value: Int32) { buffer.writeInteger(value) }
    mutating func int64(_ value: Int64) { buffer.writeInteger(value) }
    mutating func bool(_ value: Bool) { int8(value ? 1 : 0) }

    mutating func string(_ value: String?) {
        guard let value else {
            if flexible { uvarint(0) } else { int16(-1) }
            return
        }
        if flexible { uvarint(value.utf8.count + 1) } else { int16(Int16(value.utf8.count)) }
        buffer.writeString(value)
    }

    mutating func count(_ value: Int?) {
        guard let value else {
            if flexible { uvarint(0) } else { int32(-1) }
            return
        }
        if flexible { uvarint(value + 1) } else { int32(Int32(value)) }
    }

    mutating func bytes(_ value: ByteBuffer?) {
        count(value?.readableBytes)
        if var value { buffer.writeBuffer(&value) }
    }

    /// Tagged fields (flexible only): (tag, bytes), tags increasing.
    mutating func tags(_ fields: [(Int, [UInt8])] = []) {
        guard flexible else { return }
        uvarint(fields.count)
        for (tag, bytes) in fields {
            uvarint(tag)
            uvarint(bytes.count)
            buffer.writeBytes(bytes)
        }
    }
}
