/// A decoded v2 record batch (magic 2): the batch header as sent and its
/// records, decompressed. The flags are exposed for the listener to refuse
/// what Spillway does not do (transactions, control records): see `clientWriteRefusal`.
package struct RecordBatch: Sendable, Equatable {
    /// Attribute bit 3: who set the timestamps.
    package enum TimestampType: Sendable, Equatable {
        case createTime
        case logAppendTime
    }

    package var baseOffset: Int64
    package var partitionLeaderEpoch: Int32
    package var compression: KafkaCompression
    package var timestampType: TimestampType
    package var isTransactional: Bool
    package var isControl: Bool
    package var lastOffsetDelta: Int32
    package var baseTimestamp: Int64
    package var maxTimestamp: Int64
    /// -1 unless the producer is idempotent.
    package var producerID: Int64
    package var producerEpoch: Int16
    package var baseSequence: Int32
    package var records: [KafkaRecord]

    package init(
        baseOffset: Int64 = 0, partitionLeaderEpoch: Int32 = -1, compression: KafkaCompression = .none,
        timestampType: TimestampType = .createTime, isTransactional: Bool = false, isControl: Bool = false,
        lastOffsetDelta: Int32, baseTimestamp: Int64, maxTimestamp: Int64, producerID: Int64 = -1, producerEpoch: Int16 = -1,
        baseSequence: Int32 = -1, records: [KafkaRecord]
    ) {
        self.baseOffset = baseOffset
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.compression = compression
        self.timestampType = timestampType
        self.isTransactional = isTransactional
        self.isControl = isControl
        self.lastOffsetDelta = lastOffsetDelta
        self.baseTimestamp = baseTimestamp
        self.maxTimestamp = maxTimestamp
        self.producerID = producerID
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.records = records
    }

    /// What a Kafka broker answers a client batch Spillway will not take, nil
    /// for an ordinary batch. Control batches: INVALID_RECORD, as Kafka's
    /// LogValidator ("clients are not allowed to write control records").
    /// Transactional batches: TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka's
    /// produce handler for a transactional id the client may not use; Spillway
    /// authorizes none (it cannot commit atomically), and the client reports a
    /// fatal, clearly named error instead of retrying.
    package var clientWriteRefusal: RecordBatchError? {
        if isControl {
            return RecordBatchError(
                reason: "control", errorCode: .invalidRecord,
                description: "control batch (transaction marker) from a client: clients are not allowed to write control records"
            )
        }
        if isTransactional {
            return RecordBatchError(
                reason: "transactional", errorCode: .transactionalIDAuthorizationFailed,
                description: "transactional batch (producer id \(producerID)): Spillway does not support transactions; "
                    + "unset transactional.id in the producer"
            )
        }
        return nil
    }
}
