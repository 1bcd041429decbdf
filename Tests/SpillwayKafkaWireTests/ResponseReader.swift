import NIOCore

/// A reader for response frames written apart from the library's own, so the
/// tests check the encoder against Kafka's layout rather than against itself.
struct ResponseReader {
    var buffer: ByteBuffer
    let flexible: Bool

    init(frame bytes: [UInt8], flexible: Bool, headerTags: Bool) {
        buffer = ByteBuffer(bytes: bytes)
        self.flexible = flexible
        let size = buffer.readInteger(as: Int32.self)!
        precondition(Int(size) == buffer.readableBytes, "frame size \(size) but \(buffer.readableBytes) bytes")
        correlationID = buffer.readInteger(as: Int32.self)!
        if headerTags { tags() }
    }

    private(set) var correlationID: Int32 = 0

    mutating func int8() -> Int8 { buffer.readInteger()! }
    mutating func int16() -> Int16 { buffer.readInteger()! }
    mutating func int32() -> Int32 { buffer.readInteger()! }
    mutating func int64() -> Int64 { buffer.readInteger()! }
    mutating func bool() -> Bool { int8() != 0 }
    mutating func bytes(_ count: Int) -> [UInt8] { buffer.readBytes(length: count)! }

    mutating func uvarint() -> Int {
        var value = 0
        var shift = 0
        while true {
            let byte: UInt8 = buffer.readInteger()!
            value |= Int(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    mutating func count() -> Int {
        flexible ? uvarint() - 1 : Int(int32())
    }

    mutating func string() -> String? {
        let length = flexible ? uvarint() - 1 : Int(int16())
        return length < 0 ? nil : buffer.readString(length: length)!
    }

    mutating func int32s() -> [Int32] {
        (0..<max(0, count())).map { _ in int32() }
    }

    /// Tagged fields, returned so a test can see whether any were sent.
    @discardableResult
    mutating func tags() -> Int {
        guard flexible else { return 0 }
        let count = uvarint()
        for _ in 0..<count {
            _ = uvarint()
            buffer.moveReaderIndex(forwardBy: uvarint())
        }
        return count
    }

    var atEnd: Bool { buffer.readableBytes == 0 }
}
