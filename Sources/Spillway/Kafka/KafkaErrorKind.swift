/// How Spillway treats a librdkafka error, by who is at fault.
package enum KafkaErrorKind: Sendable, Equatable {
    /// The cluster or the network: keep the record (spool it) and tell the breaker.
    case transient
    /// This record or its topic: dead-letter it, and do not trip the breaker for everyone.
    case perRecord
    /// Our own purge (breaker opened, shutdown): spool the record, tell nobody.
    case purged
}
