import NIOCore

/// Produce (key 0), v3-v9 (v3 is the first with record batches v2, flexible
/// from v9). Records stay undecoded slices of the frame: `RecordBatchDecoder`
/// checks them per partition, so one bad partition fails alone. Kafka brokers
/// refuse zstd batches below v7 (UNSUPPORTED_COMPRESSION_TYPE), but sarama 1.22
/// sends them at v3; the decoder accepts them and leaves the choice to the listener.
package struct ProduceRequest: Sendable {
    package struct Partition: Sendable {
        package var index: Int32
        /// The partition's record set (one or more record batches), a slice of the frame.
        package var records: ByteBuffer?

        package init(index: Int32, records: ByteBuffer?) {
            self.index = index
            self.records = records
        }
    }

    package struct Topic: Sendable {
        package var name: String
        package var partitions: [Partition]

        package init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    package var transactionalID: String?
    /// 0 (no answer), 1 (leader) or -1 (all in-sync replicas).
    package var acks: Int16
    package var timeoutMs: Int32
    package var topics: [Topic]

    package init(transactionalID: String?, acks: Int16, timeoutMs: Int32, topics: [Topic]) {
        self.transactionalID = transactionalID
        self.acks = acks
        self.timeoutMs = timeoutMs
        self.topics = topics
    }

    static func decode(_ reader: inout KafkaWireReader, version: Int16) throws(KafkaWireError) -> ProduceRequest {
        let transactionalID = try reader.nullableString("Produce transactional_id")
        let acks = try reader.int16("Produce acks")
        let timeoutMs = try reader.int32("Produce timeout_ms")
        let topics = try reader.array("Produce topic_data", minimumElementBytes: 2) { (reader: inout KafkaWireReader) throws(KafkaWireError) in
            let name = try reader.string("Produce topic name")
            let partitions = try reader.array("Produce partition_data", minimumElementBytes: 5) { (reader: inout KafkaWireReader) throws(KafkaWireError) in
                let index = try reader.int32("Produce partition index")
                let records = try reader.nullableBytes("Produce records")
                try reader.skipTaggedFields()
                return Partition(index: index, records: records)
            }
            try reader.skipTaggedFields()
            guard let partitions else { throw KafkaWireError.malformed("Produce partition_data of topic \(name) is null") }
            return Topic(name: name, partitions: partitions)
        }
        try reader.skipTaggedFields()
        guard let topics else { throw .malformed("Produce topic_data is null") }
        return ProduceRequest(transactionalID: transactionalID, acks: acks, timeoutMs: timeoutMs, topics: topics)
    }
}
