import NIOCore

/// Writes v2 record batches as Kafka's clients do, with a correct CRC-32C, in
/// any codec: the fixtures of the tests and the seeds of the fuzzer.
package enum RecordBatchEncoder {
    /// One batch of `records` (offset deltas are renumbered 0, 1, ...; the base
    /// timestamp is the first record's, the max timestamp the largest).
    package static func encode(
        records: [KafkaRecord], compression: KafkaCompression, snappyXerialFraming: Bool = false,
        baseOffset: Int64 = 0, partitionLeaderEpoch: Int32 = -1, timestampType: RecordBatch.TimestampType = .createTime,
        isTransactional: Bool = false, isControl: Bool = false,
        producerID: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1
    ) -> ByteBuffer {
        precondition(!records.isEmpty, "a record batch holds at least one record")
        let baseTimestamp = records[0].timestamp
        var body: [UInt8] = []
        var record: [UInt8] = []
        for (index, each) in records.enumerated() {
            record.removeAll(keepingCapacity: true)
            record.append(0)
            record.appendVarlong(each.timestamp &- baseTimestamp)
            record.appendVarint(Int32(index))
            record.appendVarintBytes(each.key)
            record.appendVarintBytes(each.value)
            record.appendVarint(Int32(each.headers.count))
            for header in each.headers {
                record.appendVarintBytes(Array(header.key.utf8))
                record.appendVarintBytes(header.value)
            }
            body.appendVarint(Int32(record.count))
            body += record
        }
        let payload = RecordCodec.compress(body, compression, snappyXerialFraming: snappyXerialFraming)

        var attributes = Int16(compression.rawValue)
        if timestampType == .logAppendTime { attributes |= 0x8 }
        if isTransactional { attributes |= 0x10 }
        if isControl { attributes |= 0x20 }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(RecordBatchDecoder.headerBytes + payload.count)
        buffer.writeInteger(baseOffset)
        buffer.writeInteger(Int32(RecordBatchDecoder.headerBytes - RecordBatchDecoder.logOverheadBytes + payload.count))
        buffer.writeInteger(partitionLeaderEpoch)
        buffer.writeInteger(Int8(2))
        let crcIndex = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(attributes)
        buffer.writeInteger(Int32(records.count - 1))
        buffer.writeInteger(baseTimestamp)
        buffer.writeInteger(records.map(\.timestamp).max()!)
        buffer.writeInteger(producerID)
        buffer.writeInteger(producerEpoch)
        buffer.writeInteger(baseSequence)
        buffer.writeInteger(Int32(records.count))
        buffer.writeBytes(payload)
        let crc = buffer.withUnsafeReadableBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[RecordBatchDecoder.crcStart...])) }
        buffer.setInteger(crc, at: crcIndex)
        return buffer
    }

    /// The same batch again: used to check that what was decoded re-encodes to what was decoded.
    package static func encode(_ batch: RecordBatch) -> ByteBuffer {
        encode(
            records: batch.records, compression: batch.compression, baseOffset: batch.baseOffset,
            partitionLeaderEpoch: batch.partitionLeaderEpoch, timestampType: batch.timestampType,
            isTransactional: batch.isTransactional, isControl: batch.isControl,
            producerID: batch.producerID, producerEpoch: batch.producerEpoch, baseSequence: batch.baseSequence
        )
    }
}
