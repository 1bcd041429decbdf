extension KafkaErrorCode {
    /// Kafka's own name for the codes Spillway answers with, for metrics and logs: beside the codes, so a new code gets its name where it is added.
    package var label: String {
        switch self {
        case .corruptMessage: "CORRUPT_MESSAGE"
        case .unknownTopicOrPartition: "UNKNOWN_TOPIC_OR_PARTITION"
        case .requestTimedOut: "REQUEST_TIMED_OUT"
        case .messageTooLarge: "MESSAGE_TOO_LARGE"
        case .invalidTimestamp: "INVALID_TIMESTAMP"
        case .invalidTopicException: "INVALID_TOPIC_EXCEPTION"
        case .notEnoughReplicas: "NOT_ENOUGH_REPLICAS"
        case .invalidRequiredAcks: "INVALID_REQUIRED_ACKS"
        case .topicAuthorizationFailed: "TOPIC_AUTHORIZATION_FAILED"
        case .unsupportedForMessageFormat: "UNSUPPORTED_FOR_MESSAGE_FORMAT"
        case .outOfOrderSequenceNumber: "OUT_OF_ORDER_SEQUENCE_NUMBER"
        case .duplicateSequenceNumber: "DUPLICATE_SEQUENCE_NUMBER"
        case .invalidProducerEpoch: "INVALID_PRODUCER_EPOCH"
        case .transactionalIDAuthorizationFailed: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"
        case .unsupportedCompressionType: "UNSUPPORTED_COMPRESSION_TYPE"
        case .invalidRecord: "INVALID_RECORD"
        default: "ERROR_\(rawValue)"
        }
    }
}
