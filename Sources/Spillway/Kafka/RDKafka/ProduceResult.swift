/// The immediate answer of `produceva`: the record is librdkafka's now, or it is not.
package enum ProduceResult: Sendable {
    case enqueued
    /// librdkafka's own queue is full: back-pressure, try again after polling.
    case queueFull
    /// Refused at once, for example an unknown partition or a topic known to be missing.
    case failed(KafkaError)
}
