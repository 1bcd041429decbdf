import NIOCore
import Testing

@testable import SpillwayKafkaWire

/// Kafka's primitive encodings at their edges: varints, zigzag, compact and
/// classic strings, arrays, tagged fields.
@Suite struct PrimitivesTests {
    func reader(_ bytes: [UInt8], flexible: Bool = true) -> KafkaWireReader {
        KafkaWireReader(ByteBuffer(bytes: bytes), flexible: flexible)
    }

    @Test(arguments: [
        ([0x00], 0), ([0x7F], 127), ([0x80, 0x01], 128), ([0xFF, 0x7F], 16383), ([0x80, 0x80, 0x01], 16384),
        ([0xFF, 0xFF, 0xFF, 0xFF, 0x0F], UInt32.max),
    ] as [([UInt8], UInt32)])
    func unsignedVarint(bytes: [UInt8], value: UInt32) throws {
        var reader = reader(bytes)
        #expect(try reader.unsignedVarint("v") == value)
        #expect(reader.remaining == 0)
        var written = ByteBuffer()
        written.writeUnsignedVarint(value)
        #expect(Array(written.readableBytesView) == bytes)
    }

    @Test(arguments: [
        [0x80], [0xFF, 0xFF, 0xFF, 0xFF, 0x10], [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], [],
    ] as [[UInt8]])
    func unsignedVarintRefused(bytes: [UInt8]) {
        var reader = reader(bytes)
        #expect(throws: KafkaWireError.self) { try reader.unsignedVarint("v") }
    }

    @Test(arguments: [
        (0, [0x00]), (-1, [0x01]), (1, [0x02]), (-64, [0x7F]), (64, [0x80, 0x01]),
        (Int64(Int32.max), [0xFE, 0xFF, 0xFF, 0xFF, 0x0F]), (Int64(Int32.min), [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
        (Int64.max, [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
        (Int64.min, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
    ] as [(Int64, [UInt8])])
    func zigzag(value: Int64, bytes: [UInt8]) throws {
        var written: [UInt8] = []
        written.appendVarlong(value)
        #expect(written == bytes)
        try bytes.withUnsafeBytes { (raw) throws in
            var cursor = RecordCursor(raw)
            #expect(try cursor.varlong("v") == value)
            #expect(cursor.atEnd)
            if let small = Int32(exactly: value) {
                var cursor = RecordCursor(raw)
                #expect(try cursor.varint("v") == small)
            } else {
                var cursor = RecordCursor(raw)
                #expect(throws: RecordBatchError.self) { try cursor.varint("v") }
            }
        }
    }

    @Test(arguments: [
        [0x80, 0x80, 0x80, 0x80, 0x80, 0x01],  // 6 bytes: longer than a varint
        [0xFF, 0xFF, 0xFF, 0xFF, 0x1F],  // 5 bytes but 33 bits
        [0x80, 0x80],  // ends inside
    ] as [[UInt8]])
    func varintRefused(bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var cursor = RecordCursor(raw)
            let error = #expect(throws: RecordBatchError.self) { try cursor.varint("v") }
            #expect(error?.errorCode == .invalidRecord)
        }
    }

    @Test func varlongOfElevenBytesRefused() {
        let bytes: [UInt8] = Array(repeating: 0xFF, count: 10) + [0x01]
        bytes.withUnsafeBytes { raw in
            var cursor = RecordCursor(raw)
            let error = #expect(throws: RecordBatchError.self) { try cursor.varlong("v") }
            #expect(error?.reason == "varint")
        }
    }

    @Test func compactStrings() throws {
        var reader = reader([0x00, 0x01, 0x04, 0x61, 0x62, 0x63, 0x03, 0xC3, 0xA9])
        #expect(try reader.nullableString("s") == nil)
        #expect(try reader.nullableString("s") == "")
        #expect(try reader.string("s") == "abc")
        #expect(try reader.string("s") == "é")
        #expect(reader.remaining == 0)
    }

    @Test func classicStrings() throws {
        var reader = reader([0xFF, 0xFF, 0x00, 0x00, 0x00, 0x02, 0x68, 0x69], flexible: false)
        #expect(try reader.nullableString("s") == nil)
        #expect(try reader.string("s") == "")
        #expect(try reader.string("s") == "hi")
    }

    @Test(arguments: [
        ([0x05, 0x61], true),  // compact: 4 bytes announced, 1 there
        ([0x00, 0x05, 0x61], false),  // classic: 5 announced
        ([0xFF, 0xFE], false),  // classic: -2
        ([0x02, 0xFF], true),  // not UTF-8
        ([0x03, 0xC3, 0x28], true),  // not UTF-8
        ([0x00], true),  // null where a string is required
    ] as [([UInt8], Bool)])
    func stringsRefused(bytes: [UInt8], flexible: Bool) {
        var reader = reader(bytes, flexible: flexible)
        let error = #expect(throws: KafkaWireError.self) { try reader.string("s") }
        #expect(error?.kind == .malformed)
    }

    @Test func stringsWrittenAsRead() throws {
        for flexible in [false, true] {
            var buffer = ByteBuffer()
            buffer.writeKafkaString(nil, flexible: flexible)
            buffer.writeKafkaString("", flexible: flexible)
            buffer.writeKafkaString("topic-é", flexible: flexible)
            var reader = KafkaWireReader(buffer, flexible: flexible)
            #expect(try reader.nullableString("s") == nil)
            #expect(try reader.nullableString("s") == "")
            #expect(try reader.nullableString("s") == "topic-é")
            #expect(reader.remaining == 0)
        }
    }

    /// A count the frame cannot hold is refused before anything is allocated for it.
    @Test func arrayCountBeyondTheFrameRefused() throws {
        var compact = reader([0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00])
        #expect(throws: KafkaWireError.self) { try compact.arrayCount("a") }
        var classic = reader([0x7F, 0xFF, 0xFF, 0xFF, 0x00], flexible: false)
        #expect(throws: KafkaWireError.self) { try classic.arrayCount("a") }
        var null = reader([0xFF, 0xFF, 0xFF, 0xFF], flexible: false)
        #expect(try null.arrayCount("a") == nil)
    }

    @Test func unknownTaggedFieldsSkipped() throws {
        // Two tags: 0 with 2 bytes, 300 (a two-byte varint) with 1 byte; then a marker byte.
        var reader = reader([0x02, 0x00, 0x02, 0xAA, 0xBB, 0xAC, 0x02, 0x01, 0xCC, 0x7E])
        try reader.skipTaggedFields()
        #expect(try reader.int8("marker") == 0x7E)
    }

    @Test(arguments: [
        [0x02, 0x05, 0x00, 0x03, 0x00],  // tags must increase
        [0x01, 0x00, 0x05, 0xAA],  // size beyond the frame
        [0x01, 0x00],  // ends inside
    ] as [[UInt8]])
    func badTaggedFieldsRefused(bytes: [UInt8]) {
        var reader = reader(bytes)
        #expect(throws: KafkaWireError.self) { try reader.skipTaggedFields() }
    }

    @Test func classicVersionsHaveNoTaggedFields() throws {
        var reader = reader([0x05], flexible: false)
        try reader.skipTaggedFields()
        #expect(reader.remaining == 1)
    }
}
