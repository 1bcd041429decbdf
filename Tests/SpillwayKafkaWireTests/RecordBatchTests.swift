import NIOCore
import Testing

@testable import SpillwayKafkaWire

/// Record batches v2: every codec both ways, and every way a batch can lie.
@Suite struct RecordBatchTests {
    static let limits = RecordBatchLimits(maxDecompressedBytes: 1 << 20, maxRecordsPerBatch: 10_000)

    /// Records that reach the corners: null and empty keys and values, null and
    /// empty header values, binary, a timestamp before the first, a long value.
    static let records: [KafkaRecord] = [
        KafkaRecord(timestamp: 1_700_000_000_000, offsetDelta: 0, key: nil, value: nil),
        KafkaRecord(timestamp: 1_700_000_001_000, offsetDelta: 1, key: [], value: [], headers: [KafkaRecordHeader(key: "", value: [])]),
        KafkaRecord(
            timestamp: 1_699_999_999_999, offsetDelta: 2, key: Array("key-2".utf8), value: [0, 1, 2, 0xFF],
            headers: [
                KafkaRecordHeader(key: "null", value: nil), KafkaRecordHeader(key: "é", value: [0x00, 0xFF, 0x0A]),
                KafkaRecordHeader(key: "null", value: nil),
            ]
        ),
        KafkaRecord(timestamp: 1_700_000_002_000, offsetDelta: 3, key: nil, value: Array(repeating: 0x61, count: 70_000)),
    ]

    @Test(arguments: KafkaCompression.allCases)
    func roundTrip(_ compression: KafkaCompression) throws {
        let encoded = RecordBatchEncoder.encode(
            records: Self.records, compression: compression, producerID: 42, producerEpoch: 3, baseSequence: 17
        )
        let batches = try RecordBatchDecoder.decode(encoded, limits: Self.limits)
        let batch = try #require(batches.first)
        #expect(batches.count == 1)
        #expect(batch.records == Self.records)
        #expect(batch.compression == compression)
        #expect(batch.baseTimestamp == 1_700_000_000_000)
        #expect(batch.maxTimestamp == 1_700_000_002_000)
        #expect(batch.lastOffsetDelta == 3)
        #expect(batch.producerID == 42)
        #expect(batch.producerEpoch == 3)
        #expect(batch.baseSequence == 17)
        #expect(batch.timestampType == .createTime)
        #expect(!batch.isTransactional && !batch.isControl)
        #expect(batch.clientWriteRefusal == nil)
        if compression != .none { #expect(encoded.readableBytes < 70_000) }
    }

    /// The Java client's snappy: xerial framing, 32 KiB blocks.
    @Test func xerialSnappy() throws {
        let encoded = RecordBatchEncoder.encode(records: Self.records, compression: .snappy, snappyXerialFraming: true)
        #expect(encoded.getBytes(at: encoded.readerIndex + 61, length: 8) == SnappyCodec.xerialMagic)
        let batch = try #require(try RecordBatchDecoder.decode(encoded, limits: Self.limits).first)
        #expect(batch.records == Self.records)
    }

    @Test func xerialSnappyFromAiokafka() throws {
        let file = FixtureFile.named("aiokafka-0.14.0", "Produce-v7-snappy-acks1-rdk202.req.bin")
        let (_, request) = try KafkaRequestDecoder.decode(file.payload)
        guard case .produce(let produce) = request else { Issue.record("not Produce"); return }
        let records = try #require(produce.topics.first?.partitions.first?.records)
        #expect(records.getBytes(at: records.readerIndex + 61, length: 8) == SnappyCodec.xerialMagic)
        let batches = try RecordBatchDecoder.decode(records, limits: .default)
        #expect(batches.first?.compression == .snappy)
        #expect(batches.first?.records.isEmpty == false)
    }

    @Test func severalBatchesInOneRecordSet() throws {
        var set = RecordBatchEncoder.encode(records: Array(Self.records[0..<2]), compression: .lz4)
        var second = RecordBatchEncoder.encode(records: Array(Self.records[2...]), compression: .zstd, baseOffset: 2)
        set.writeBuffer(&second)
        let batches = try RecordBatchDecoder.decode(set, limits: Self.limits)
        #expect(batches.map(\.compression) == [.lz4, .zstd])
        #expect(batches.flatMap(\.records).count == 4)
        #expect(batches[1].baseOffset == 2)
    }

    @Test func flagsExposedAndRefusedAsKafkaWould() throws {
        let transactional = RecordBatchEncoder.encode(records: Self.records, compression: .none, isTransactional: true, producerID: 7, producerEpoch: 0)
        let decoded = try #require(try RecordBatchDecoder.decode(transactional, limits: Self.limits).first)
        #expect(decoded.isTransactional && !decoded.isControl)
        #expect(decoded.clientWriteRefusal?.errorCode == .transactionalIDAuthorizationFailed)

        let control = RecordBatchEncoder.encode(records: Self.records, compression: .none, isTransactional: true, isControl: true)
        let controlBatch = try #require(try RecordBatchDecoder.decode(control, limits: Self.limits).first)
        #expect(controlBatch.isControl)
        #expect(controlBatch.clientWriteRefusal?.errorCode == .invalidRecord)

        let appendTime = RecordBatchEncoder.encode(records: Self.records, compression: .none, timestampType: .logAppendTime)
        #expect(try RecordBatchDecoder.decode(appendTime, limits: Self.limits).first?.timestampType == .logAppendTime)
    }

    /// Any flipped bit from the attributes on is caught by the CRC.
    @Test func crcCatchesEveryFlippedByte() throws {
        let encoded = RecordBatchEncoder.encode(records: Array(Self.records[0..<3]), compression: .none)
        for index in 21..<encoded.readableBytes {
            var copy = encoded
            copy.setInteger(copy.getInteger(at: index, as: UInt8.self)! ^ 0x10, at: index)
            let error = #expect(throws: RecordBatchError.self) { try RecordBatchDecoder.decode(copy, limits: Self.limits) }
            #expect(error?.reason == "crc", "byte \(index)")
            #expect(error?.errorCode == .corruptMessage)
        }
        var crc = encoded
        crc.setInteger(crc.getInteger(at: 17, as: UInt32.self)! ^ 1, at: 17)
        #expect(throws: RecordBatchError.self) { try RecordBatchDecoder.decode(crc, limits: Self.limits) }
    }

    @Test(arguments: KafkaCompression.allCases)
    func everyTruncationRefused(_ compression: KafkaCompression) {
        let encoded = RecordBatchEncoder.encode(records: Array(Self.records[0..<3]), compression: compression)
        for length in 0..<encoded.readableBytes {
            let cut = encoded.getSlice(at: encoded.readerIndex, length: length)!
            let error = #expect(throws: RecordBatchError.self) { try RecordBatchDecoder.decode(cut, limits: Self.limits) }
            #expect(error?.errorCode == (length == 0 ? .invalidRecord : .corruptMessage), "cut at \(length)")
        }
    }

    @Test func lyingBatchLengths() {
        let encoded = RecordBatchEncoder.encode(records: Array(Self.records[0..<3]), compression: .none)
        let honest = encoded.getInteger(at: 8, as: Int32.self)!
        for (length, reason) in [(honest + 1, "truncated"), (Int32.max, "truncated"), (48, "length"), (-1, "length"), (honest - 1, "crc")] {
            var copy = encoded
            copy.setInteger(length, at: 8)
            let error = #expect(throws: RecordBatchError.self) { try RecordBatchDecoder.decode(copy, limits: Self.limits) }
            #expect(error?.reason == reason, "batch length \(length)")
        }
        // Trailing garbage after a batch is read as a batch, and refused.
        var trailing = encoded
        trailing.writeBytes([0, 0, 0])
        #expect(throws: RecordBatchError.self) { try RecordBatchDecoder.decode(trailing, limits: Self.limits) }
    }

    @Test func oldMagicRefusedAsUnsupportedFormat() {
        for (magic, code) in [(Int8(0), KafkaErrorCode.unsupportedForMessageFormat), (1, .unsupportedForMessageFormat), (3, .corruptMessage), (-1, .corruptMessage)] {
            var batch = RecordBatchEncoder.encode(records: Array(Self.records[0..<1]), compression: .none)
            batch.setInteger(magic, at: 16)
            let error = #expect(throws: RecordBatchError.self) { try RecordBatchDecoder.decode(batch, limits: Self.limits) }
            #expect(error?.reason == "magic")
            #expect(error?.errorCode == code)
        }
    }

    // MARK: Structure behind a valid CRC

    /// One uncompressed record with the given raw fields (after its length).
    static func rawRecord(_ fields: [UInt8], offsetDelta: UInt8 = 0) -> [UInt8] {
        let body: [UInt8] = [0x00, 0x00, offsetDelta * 2] + fields
        var record: [UInt8] = []
        record.appendVarint(Int32(body.count))
        return record + body
    }

    /// A batch around raw record bytes, written field by field, its CRC correct.
    static func batch(records: [UInt8], count: Int32, lastOffsetDelta: Int32? = nil, attributes: Int16 = 0) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int64(0))
        buffer.writeInteger(Int32(49 + records.count))
        buffer.writeInteger(Int32(-1))
        buffer.writeInteger(Int8(2))
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(attributes)
        buffer.writeInteger(lastOffsetDelta ?? (count - 1))
        buffer.writeInteger(Int64(1_700_000_000_000))
        buffer.writeInteger(Int64(1_700_000_000_000))
        buffer.writeInteger(Int64(-1))
        buffer.writeInteger(Int16(-1))
        buffer.writeInteger(Int32(-1))
        buffer.writeInteger(count)
        buffer.writeBytes(records)
        let crc = buffer.withUnsafeReadableBytes { CRCReference.checksum(Array($0[21...])) }
        buffer.setInteger(crc, at: 17)
        return buffer
    }

    /// key "k" (length 1), value null, no headers.
    static let plainFields: [UInt8] = [0x02, 0x6B, 0x01, 0x00]

    @Test func handWrittenBatchDecodes() throws {
        let batch = Self.batch(records: Self.rawRecord(Self.plainFields) + Self.rawRecord(Self.plainFields, offsetDelta: 1), count: 2)
        let records = try #require(try RecordBatchDecoder.decode(batch, limits: Self.limits).first).records
        #expect(records == [
            KafkaRecord(timestamp: 1_700_000_000_000, offsetDelta: 0, key: [0x6B], value: nil),
            KafkaRecord(timestamp: 1_700_000_000_000, offsetDelta: 1, key: [0x6B], value: nil),
        ])
    }

    @Test(arguments: [
        ("more records declared than held", batch(records: rawRecord(plainFields), count: 2), "count"),
        ("fewer records declared than held", batch(records: rawRecord(plainFields) + rawRecord(plainFields, offsetDelta: 1), count: 1), "count"),
        ("no records", batch(records: [], count: 0), "count"),
        ("negative count", batch(records: rawRecord(plainFields), count: -1), "count"),
        ("last offset delta lies", batch(records: rawRecord(plainFields), count: 1, lastOffsetDelta: 5), "offsets"),
        ("record offset delta out of order", batch(records: rawRecord(plainFields, offsetDelta: 1), count: 1), "offsets"),
        ("record length past the batch", batch(records: [0x7E] + rawRecord(plainFields).dropFirst(), count: 1), "record"),
        ("negative record length", batch(records: [0x03] + rawRecord(plainFields).dropFirst(), count: 1), "record"),
        ("garbage inside a record", batch(records: rawRecord(plainFields + [0x00]), count: 1), "record"),
        ("key longer than the record", batch(records: rawRecord([0x0A, 0x6B, 0x01, 0x00]), count: 1), "truncated"),
        ("key length -2", batch(records: rawRecord([0x03, 0x01, 0x00]), count: 1), "record"),
        ("varint of 6 bytes", batch(records: rawRecord([0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01, 0x00]), count: 1), "varint"),
        ("header key not UTF-8", batch(records: rawRecord([0x01, 0x01, 0x02, 0x02, 0xFF, 0x01]), count: 1), "header_key"),
        ("null header key", batch(records: rawRecord([0x01, 0x01, 0x02, 0x01, 0x01]), count: 1), "record"),
        ("more headers than bytes", batch(records: rawRecord([0x01, 0x01, 0x7E]), count: 1), "record"),
        ("compression type 5", batch(records: rawRecord(plainFields), count: 1, attributes: 5), "compression_type"),
        ("gzip attribute on plain bytes", batch(records: rawRecord(plainFields), count: 1, attributes: 1), "decompression"),
        ("zstd attribute on plain bytes", batch(records: rawRecord(plainFields), count: 1, attributes: 4), "decompression"),
        ("lz4 attribute on plain bytes", batch(records: rawRecord(plainFields), count: 1, attributes: 3), "decompression"),
        ("snappy attribute on garbage", batch(records: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], count: 1, attributes: 2), "decompression"),
    ] as [(String, ByteBuffer, String)])
    func structureRefused(_ name: String, batch: ByteBuffer, reason: String) {
        let error = #expect(throws: RecordBatchError.self, "\(name)") { try RecordBatchDecoder.decode(batch, limits: Self.limits) }
        #expect(error?.reason == reason, "\(name): \(error?.description ?? "")")
        #expect(error?.description.isEmpty == false)
        if reason == "compression_type" { #expect(error?.errorCode == .unsupportedCompressionType) }
    }

    @Test func emptyRecordSetRefused() {
        let error = #expect(throws: RecordBatchError.self) { try RecordBatchDecoder.decode(ByteBuffer(), limits: Self.limits) }
        #expect(error?.errorCode == .invalidRecord)
    }

    // MARK: Bounds

    /// 16 MiB of zeros compress to a few kilobytes; decompression stops at the bound.
    @Test(arguments: [KafkaCompression.gzip, .snappy, .lz4, .zstd])
    func decompressionBombStopped(_ compression: KafkaCompression) throws {
        let bomb = [KafkaRecord(timestamp: 0, offsetDelta: 0, key: nil, value: [UInt8](repeating: 0, count: 16 << 20))]
        let encoded = RecordBatchEncoder.encode(records: bomb, compression: compression)
        #expect(encoded.readableBytes < 1 << 20)
        let error = #expect(throws: RecordBatchError.self) { try RecordBatchDecoder.decode(encoded, limits: Self.limits) }
        #expect(error?.reason == "too_large")
        #expect(error?.errorCode == .messageTooLarge)
        #expect(error?.description.contains("maxDecompressedBytes") == true)
        // Within a bound that fits, the same batch decodes.
        let roomy = RecordBatchLimits(maxDecompressedBytes: 17 << 20, maxRecordsPerBatch: 1)
        #expect(try RecordBatchDecoder.decode(encoded, limits: roomy).first?.records.first?.value?.count == 16 << 20)
    }

    /// The bound is exact: a batch expanding to exactly the bound passes, one byte less refuses it.
    @Test(arguments: [KafkaCompression.gzip, .snappy, .lz4, .zstd])
    func boundIsExact(_ compression: KafkaCompression) throws {
        let records = [KafkaRecord(timestamp: 0, offsetDelta: 0, key: nil, value: [UInt8](repeating: 7, count: 5000))]
        let encoded = RecordBatchEncoder.encode(records: records, compression: compression)
        let plainBatch = RecordBatchEncoder.encode(records: records, compression: .none)
        let plain = plainBatch.getBytes(at: 61, length: plainBatch.readableBytes - 61)!
        let exact = RecordBatchLimits(maxDecompressedBytes: plain.count, maxRecordsPerBatch: 1)
        #expect(try RecordBatchDecoder.decode(encoded, limits: exact).first?.records == records)
        let under = RecordBatchLimits(maxDecompressedBytes: plain.count - 1, maxRecordsPerBatch: 1)
        #expect(throws: RecordBatchError.self) { try RecordBatchDecoder.decode(encoded, limits: under) }
    }

    @Test func tooManyRecordsRefusedBeforeReading() {
        let records = (0..<5).map { KafkaRecord(timestamp: 0, offsetDelta: Int32($0), key: nil, value: nil) }
        let encoded = RecordBatchEncoder.encode(records: records, compression: .none)
        let error = #expect(throws: RecordBatchError.self) {
            try RecordBatchDecoder.decode(encoded, limits: RecordBatchLimits(maxDecompressedBytes: 1 << 20, maxRecordsPerBatch: 4))
        }
        #expect(error?.reason == "too_large")
    }

    @Test(arguments: [KafkaCompression.gzip, .lz4, .zstd, .snappy])
    func truncatedCompressedStreamRefused(_ compression: KafkaCompression) {
        let encoded = RecordBatchEncoder.encode(records: Self.records, compression: compression)
        let payload = encoded.getBytes(at: 61, length: encoded.readableBytes - 61)!
        let batch = Self.batch(records: Array(payload.dropLast(5)), count: 4, attributes: Int16(compression.rawValue))
        let error = #expect(throws: RecordBatchError.self) { try RecordBatchDecoder.decode(batch, limits: Self.limits) }
        #expect(error?.reason == "decompression")
        #expect(error?.errorCode == .corruptMessage)
    }
}

/// A CRC-32C independent of the one under test, for batches the tests write by hand.
enum CRCReference {
    static func checksum(_ bytes: [UInt8]) -> UInt32 { CRC32CTests.bitwise(bytes) }
}
