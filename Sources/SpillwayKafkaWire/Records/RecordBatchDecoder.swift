import NIOCore

/// Decodes and checks a partition's record set: magic 2 only, CRC-32C, lengths,
/// record count, offset deltas, then the records, decompressed within `RecordBatchLimits`.
package enum RecordBatchDecoder {
    /// From baseOffset to the end of the records count: the fixed part of a v2 batch.
    static let headerBytes = 61
    /// baseOffset + batchLength: what batchLength does not count.
    static let logOverheadBytes = 12
    /// Where the CRC starts counting (attributes).
    static let crcStart = 21
    /// The smallest record: length, attributes, timestamp and offset deltas, key, value, header count.
    static let minimumRecordBytes = 7

    /// All batches of one partition's record set, decompressed and checked.
    package static func decode(_ recordSet: ByteBuffer, limits: RecordBatchLimits) throws(RecordBatchError) -> [RecordBatch] {
        var rest = recordSet
        guard rest.readableBytes > 0 else { throw .invalid("count", "the record set holds no record batch") }
        var batches: [RecordBatch] = []
        while rest.readableBytes > 0 {
            let start = rest.readerIndex
            if let magic = rest.getInteger(at: start + 16, as: Int8.self), magic != 2 {
                if magic == 0 || magic == 1 {
                    throw RecordBatchError(
                        reason: "magic", errorCode: .unsupportedForMessageFormat,
                        description: "message set of magic \(magic) (Kafka 0.10 or older format): Spillway accepts record batches v2 only; "
                            + "upgrade the client or set its api.version.request / broker.version.fallback to 0.11+"
                    )
                }
                throw .corrupt("magic", "record batch of unknown magic \(magic) (expected 2)")
            }
            guard rest.readableBytes >= headerBytes, let batchLength = rest.getInteger(at: start + 8, as: Int32.self) else {
                throw .corrupt("truncated", "the record set ends inside a batch header (\(rest.readableBytes) bytes left, a header is \(headerBytes))")
            }
            guard Int(batchLength) >= headerBytes - logOverheadBytes else {
                throw .corrupt("length", "batch length \(batchLength) is shorter than a batch header (\(headerBytes - logOverheadBytes))")
            }
            guard Int(batchLength) <= rest.readableBytes - logOverheadBytes else {
                throw .corrupt("truncated", "batch length \(batchLength) but only \(rest.readableBytes - logOverheadBytes) bytes follow it")
            }
            let batch = rest.readSlice(length: logOverheadBytes + Int(batchLength))!
            let result = batch.withUnsafeReadableBytes { bytes in
                Result { () throws(RecordBatchError) in try decodeBatch(bytes, limits: limits) }
            }
            batches.append(try result.get())
        }
        return batches
    }

    private static func decodeBatch(_ bytes: UnsafeRawBufferPointer, limits: RecordBatchLimits) throws(RecordBatchError) -> RecordBatch {
        func int16(_ offset: Int) -> Int16 { Int16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int16.self)) }
        func int32(_ offset: Int) -> Int32 { Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)) }
        func int64(_ offset: Int) -> Int64 { Int64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self)) }

        let storedCRC = UInt32(bitPattern: int32(17))
        let computedCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[crcStart...]))
        guard storedCRC == computedCRC else {
            throw .corrupt(
                "crc",
                "record batch CRC-32C mismatch: stored 0x\(String(storedCRC, radix: 16)), computed 0x\(String(computedCRC, radix: 16)) (corrupted in transit?)"
            )
        }
        let attributes = int16(21)
        guard let compression = KafkaCompression(rawValue: Int8(attributes & 0x7)) else {
            throw RecordBatchError(
                reason: "compression_type", errorCode: .unsupportedCompressionType,
                description: "record batch compression type \(attributes & 0x7) is not one of none, gzip, snappy, lz4, zstd"
            )
        }
        let lastOffsetDelta = int32(23)
        let baseTimestamp = int64(27)
        let count = int32(57)
        guard count > 0 else { throw .invalid("count", "record batch declares \(count) records") }
        guard Int(count) <= limits.maxRecordsPerBatch else {
            throw .tooLarge("record batch declares \(count) records, over the limit of \(limits.maxRecordsPerBatch) (RecordBatchLimits.maxRecordsPerBatch)")
        }
        guard lastOffsetDelta == count - 1 else {
            throw .invalid("offsets", "record batch of \(count) records has last offset delta \(lastOffsetDelta) (expected \(count - 1))")
        }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[headerBytes...])
        let records: [KafkaRecord]
        if compression == .none {
            records = try decodeRecords(payload, count: Int(count), baseTimestamp: baseTimestamp)
        } else {
            let decompressed = try RecordCodec.decompress(payload, compression, maxBytes: limits.maxDecompressedBytes)
            let result = decompressed.withUnsafeBytes { bytes in
                Result { () throws(RecordBatchError) in try decodeRecords(bytes, count: Int(count), baseTimestamp: baseTimestamp) }
            }
            records = try result.get()
        }
        return RecordBatch(
            baseOffset: int64(0), partitionLeaderEpoch: int32(12), compression: compression,
            timestampType: attributes & 0x8 != 0 ? .logAppendTime : .createTime,
            isTransactional: attributes & 0x10 != 0, isControl: attributes & 0x20 != 0,
            lastOffsetDelta: lastOffsetDelta, baseTimestamp: baseTimestamp, maxTimestamp: int64(35),
            producerID: int64(43), producerEpoch: int16(51), baseSequence: int32(53), records: records
        )
    }

    private static func decodeRecords(_ bytes: UnsafeRawBufferPointer, count: Int, baseTimestamp: Int64) throws(RecordBatchError) -> [KafkaRecord] {
        var cursor = RecordCursor(bytes)
        var records: [KafkaRecord] = []
        records.reserveCapacity(min(count, bytes.count / minimumRecordBytes + 1))
        for index in 0..<count {
            guard !cursor.atEnd else { throw .invalid("count", "record batch declares \(count) records but holds \(index)") }
            let length = try cursor.varint("length")
            guard length >= 0, Int(length) <= cursor.remaining else {
                throw .invalid("record", "record \(index) claims \(length) bytes but \(cursor.remaining) are left in the batch")
            }
            var record = cursor.subcursor(length: Int(length))
            _ = try record.byte("attributes")
            let timestampDelta = try record.varlong("timestamp delta")
            let offsetDelta = try record.varint("offset delta")
            guard offsetDelta == index else {
                throw .invalid("offsets", "record \(index) has offset delta \(offsetDelta) (expected \(index))")
            }
            let key = try record.nullableBytes("key")
            let value = try record.nullableBytes("value")
            let headerCount = try record.varint("header count")
            guard headerCount >= 0, Int(headerCount) <= record.remaining / 2 else {
                throw .invalid("record", "record \(index) claims \(headerCount) headers in \(record.remaining) bytes")
            }
            var headers: [KafkaRecordHeader] = []
            headers.reserveCapacity(Int(headerCount))
            for _ in 0..<headerCount {
                guard let key = try record.utf8String("header key") else {
                    throw .invalid("header_key", "record \(index) has a header key that is not UTF-8")
                }
                headers.append(KafkaRecordHeader(key: key, value: try record.nullableBytes("header value")))
            }
            guard record.atEnd else {
                throw .invalid("record", "record \(index) declares \(length) bytes but its fields end \(record.remaining) bytes earlier")
            }
            records.append(
                KafkaRecord(timestamp: baseTimestamp &+ timestampDelta, offsetDelta: offsetDelta, key: key, value: value, headers: headers)
            )
        }
        guard cursor.atEnd else {
            throw .invalid("count", "record batch declares \(count) records but \(cursor.remaining) bytes follow the last")
        }
        return records
    }
}
