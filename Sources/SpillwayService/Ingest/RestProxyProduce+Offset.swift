import Spillway

/// What a REST Proxy client is told about each record, in Confluent's terms: a
/// partition and offset when Kafka has it, else `error_code` and `error` whenever
/// the record is not where the client asked it to be when answered, so an answer
/// that vouches for less than was asked never reads like a plain success.
extension RestProxyProduce.Offset {
    /// Refused: the record itself is bad (REST Proxy's "unprocessable entity").
    static let badRecordCode = 42202
    /// Not kept (dropped), or refused by Kafka and dead-lettered: Confluent's code for a Kafka error.
    static let kafkaErrorCode = 50002
    /// Kept only in Spillway's memory, not at the level asked (`spool` or `kafka`):
    /// Confluent's code for a retriable Kafka error. A crash of Spillway would lose it;
    /// a retry may duplicate it, as a retry after a Kafka timeout does.
    static let onlyInMemoryCode = 50003
    /// Asked for `kafka`, not confirmed by Kafka when answered, but committed to
    /// Spillway's spool, from which it reaches Kafka: "202 Accepted" in REST Proxy's
    /// numbering. Not to be retried (a retry would be a duplicate).
    static let spooledNotInKafkaCode = 20201

    init(errorCode: Int? = nil, error: String? = nil) {
        self.init(partition: nil, offset: nil, errorCode: errorCode, error: error)
    }

    /// The entry for one record's answer at `level`; `answer` is nil, and `rejection`
    /// says why, when the record was refused before it was handed over.
    static func answering(_ answer: Acknowledgement?, at level: AckLevel, rejection: String?) -> Self {
        guard let answer else { return .init(errorCode: badRecordCode, error: rejection ?? "rejected") }
        switch answer.disposition {
        case .delivered:
            // Kafka's own answer, as Confluent's proxy gives it.
            return .init(partition: answer.partition, offset: answer.offset, errorCode: nil, error: nil)
        case .dropped(let reason):
            return .init(errorCode: kafkaErrorCode, error: "record dropped: \(reason.rawValue)")
        case .rejected:
            return .init(errorCode: badRecordCode, error: rejection ?? "rejected")
        case .queued, .spooled:
            if answer.reason == .deadLetter {
                return .init(errorCode: kafkaErrorCode, error: "Kafka refused the record; Spillway keeps it in its dead-letter area")
            }
            return notConfirmed(answer, at: level) ?? .init()
        }
    }

    /// The entry for a kept record that had not reached `level` when answered, or
    /// nil when it had (at `memory`, every kept record has).
    private static func notConfirmed(_ answer: Acknowledgement, at level: AckLevel) -> Self? {
        let why = answer.reason.map { "\(Self.wording($0)) (\($0.rawValue))" } ?? "not confirmed when answered"
        switch (level, answer.reached) {
        case (.memory, _), (.spool, .spool?), (.spool, .kafka?), (.kafka, .kafka?):
            return nil
        case (.kafka, .spool?):
            return .init(
                errorCode: spooledNotInKafkaCode,
                error: "not confirmed by Kafka: \(why); committed to Spillway's spool, it goes on to Kafka (a retry would duplicate it)"
            )
        case (.spool, _), (.kafka, _):
            return .init(
                errorCode: onlyInMemoryCode,
                error: "not confirmed at level \(level.rawValue): \(why); only in Spillway's memory, it goes on to Kafka unless Spillway crashes first (a retry may duplicate it)"
            )
        }
    }

    private static func wording(_ reason: AckReason) -> String {
        switch reason {
        case .timeout: "not reached within \(SettingsKeys.ackTimeout.name)"
        case .capacity: "too many requests were waiting already"
        case .kafkaUnavailable: "Kafka could not take it now"
        case .deadLetter: "Kafka refused the record"
        }
    }
}
