/// librdkafka's verdict on one record, copied out of the event before it is freed.
package struct DeliveryReport: Sendable {
    /// The opaque id the record was produced with.
    package var opaque: UInt
    /// `nil` on success.
    package var error: KafkaError?
    /// A failed record whose request was on the wire: the broker may have stored
    /// it (librdkafka's `RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED`).
    package var possiblyPersisted = false
    /// Where Kafka stored it, on success (the offset is -1 when the producer asks
    /// for no acknowledgement, `acks=0`).
    package var partition: Int32 = -1
    package var offset: Int64 = -1

    package init(opaque: UInt, error: KafkaError?, possiblyPersisted: Bool = false, partition: Int32 = -1, offset: Int64 = -1) {
        self.opaque = opaque
        self.error = error
        self.possiblyPersisted = possiblyPersisted
        self.partition = partition
        self.offset = offset
    }
}
