/// Zigzag varints as record batches write them (Kafka's ByteUtils.writeVarint/writeVarlong).
extension Array where Element == UInt8 {
    mutating func appendVarlong(_ value: Int64) {
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while zigzag >= 0x80 {
            append(UInt8(truncatingIfNeeded: zigzag) | 0x80)
            zigzag >>= 7
        }
        append(UInt8(zigzag))
    }

    mutating func appendVarint(_ value: Int32) {
        appendVarlong(Int64(value))
    }

    /// Length-prefixed bytes; nil is length -1.
    mutating func appendVarintBytes(_ bytes: [UInt8]?) {
        guard let bytes else {
            appendVarint(-1)
            return
        }
        appendVarint(Int32(bytes.count))
        append(contentsOf: bytes)
    }
}
