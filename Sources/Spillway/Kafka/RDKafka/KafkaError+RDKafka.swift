import CRDKafka

/// librdkafka's error codes turned into `KafkaError` and `KafkaErrorKind`: the
/// only place that knows which code means what.
extension KafkaError: CustomStringConvertible {
    package init(_ code: rd_kafka_resp_err_t) {
        self.init(code: code.rawValue, kind: KafkaErrorKind(code))
    }

    private var rdCode: rd_kafka_resp_err_t { rd_kafka_resp_err_t(rawValue: code) }

    /// `MSG_SIZE_TOO_LARGE`, for `spillway_kafka_errors_total`.
    package var name: String { String(cString: rd_kafka_err2name(rdCode)) }

    /// `MSG_SIZE_TOO_LARGE: Broker: Message size too large`, as operators search for it.
    package var description: String { describe(rdCode) }

    /// Every broker is unreachable (a client error, not about one record).
    package var allBrokersDown: Bool { rdCode == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN }
}

extension KafkaErrorKind {
    package init(_ code: rd_kafka_resp_err_t) {
        switch code {
        case RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT, RD_KAFKA_RESP_ERR__DESTROY:
            self = .purged
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_MSG, RD_KAFKA_RESP_ERR_INVALID_RECORD,
             RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE,
             RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP, RD_KAFKA_RESP_ERR_POLICY_VIOLATION,
             RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT, RD_KAFKA_RESP_ERR__BAD_MSG,
             RD_KAFKA_RESP_ERR__INVALID_ARG, RD_KAFKA_RESP_ERR__CONFLICT,
             RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
             RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION,
             RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS:
            self = .perRecord
        default:
            self = .transient
        }
    }
}

/// `MSG_SIZE_TOO_LARGE: Broker: Message size too large`, as operators search for it.
func describe(_ code: rd_kafka_resp_err_t) -> String {
    "\(String(cString: rd_kafka_err2name(code))): \(String(cString: rd_kafka_err2str(code)))"
}
