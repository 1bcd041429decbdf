import CRDKafka

/// librdkafka's verdict on one record, copied out of the event before it is freed.
package struct DeliveryReport: Sendable {
    /// The opaque id the record was produced with.
    package var opaque: UInt
    /// `nil` on success.
    package var error: rd_kafka_resp_err_t?
}
