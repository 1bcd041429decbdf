/// InitProducerId (key 22), v0-v4: an idempotent producer asks for its id and
/// epoch before its first produce (librdkafka and the Java client enable
/// idempotence by default). v3+ lets a producer bump its own epoch.
/// With a `transactionalID`, a Kafka broker answers a client that may not use
/// it TRANSACTIONAL_ID_AUTHORIZATION_FAILED; Spillway, which has no
/// transactions, should answer the same (as `RecordBatch.clientWriteRefusal` does).
package struct InitProducerIDRequest: Sendable, Equatable {
    package var transactionalID: String?
    package var transactionTimeoutMs: Int32
    /// -1 for a new producer (and always before v3).
    package var producerID: Int64
    package var producerEpoch: Int16

    package init(transactionalID: String?, transactionTimeoutMs: Int32, producerID: Int64 = -1, producerEpoch: Int16 = -1) {
        self.transactionalID = transactionalID
        self.transactionTimeoutMs = transactionTimeoutMs
        self.producerID = producerID
        self.producerEpoch = producerEpoch
    }

    static func decode(_ reader: inout KafkaWireReader, version: Int16) throws(KafkaWireError) -> InitProducerIDRequest {
        let transactionalID = try reader.nullableString("InitProducerId transactional_id")
        let timeout = try reader.int32("InitProducerId transaction_timeout_ms")
        var producerID: Int64 = -1
        var producerEpoch: Int16 = -1
        if version >= 3 {
            producerID = try reader.int64("InitProducerId producer_id")
            producerEpoch = try reader.int16("InitProducerId producer_epoch")
        }
        try reader.skipTaggedFields()
        return InitProducerIDRequest(
            transactionalID: transactionalID, transactionTimeoutMs: timeout, producerID: producerID, producerEpoch: producerEpoch
        )
    }
}
