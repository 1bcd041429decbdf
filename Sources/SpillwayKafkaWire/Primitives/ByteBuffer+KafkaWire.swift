import NIOCore

/// Writes Kafka's primitive types in classic or flexible (compact) form, for responses.
extension ByteBuffer {
    mutating func writeUnsignedVarint(_ value: UInt32) {
        var value = value
        while value >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        writeInteger(UInt8(value))
    }

    /// A classic (int16) or compact length; -1 means null.
    private mutating func writeLength(_ length: Int, flexible: Bool, classicWidth: Int) {
        if flexible {
            writeUnsignedVarint(UInt32(length + 1))
        } else if classicWidth == 2 {
            writeInteger(Int16(length))
        } else {
            writeInteger(Int32(length))
        }
    }

    mutating func writeKafkaString(_ string: String?, flexible: Bool) {
        guard let string else {
            writeLength(-1, flexible: flexible, classicWidth: 2)
            return
        }
        writeLength(string.utf8.count, flexible: flexible, classicWidth: 2)
        writeString(string)
    }

    mutating func writeKafkaArrayCount(_ count: Int, flexible: Bool) {
        writeLength(count, flexible: flexible, classicWidth: 4)
    }

    mutating func writeKafkaInt32Array(_ values: [Int32], flexible: Bool) {
        writeKafkaArrayCount(values.count, flexible: flexible)
        for value in values { writeInteger(value) }
    }

    mutating func writeKafkaBool(_ value: Bool) {
        writeInteger(UInt8(value ? 1 : 0))
    }

    /// An empty tagged-field section: Spillway sends no optional fields.
    mutating func writeEmptyTaggedFields(flexible: Bool) {
        if flexible { writeInteger(UInt8(0)) }
    }
}
