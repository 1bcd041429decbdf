import CRDKafka
@testable import Spillway
import SpillwaySpool
import Testing

/// Every error class `KafkaErrorKind` knows, for live and replayed records: where
/// the record goes next, and what the breaker learns.
@Suite struct ReportClassifierTests {
    static let pending = PendingRecord(id: 7, record: Record(topic: "t", value: [1, 2, 3], timestamp: 0), size: 4)

    enum Where: Equatable {
        case delivered, spill, deadLetter, replayAcknowledged, replayDeadLetter, replayRetry
    }

    static func place(_ move: ReportVerdict.Move) -> Where {
        switch move {
        case .delivered: .delivered
        case .spill: .spill
        case .deadLetter: .deadLetter
        case .replayAcknowledged: .replayAcknowledged
        case .replayDeadLetter: .replayDeadLetter
        case .replayRetry: .replayRetry
        }
    }

    static func isFailure(_ outcome: CallOutcome?) -> Bool {
        if case .failure? = outcome { true } else { false }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var error: rd_kafka_resp_err_t
        var kind: KafkaErrorKind
        var testDescription: String { String(cString: rd_kafka_err2name(error)) }
    }

    static let cases: [Case] = [
        // The cluster or the network.
        Case(error: RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, kind: .transient),
        Case(error: RD_KAFKA_RESP_ERR__TRANSPORT, kind: .transient),
        Case(error: RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, kind: .transient),
        Case(error: RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, kind: .transient),
        Case(error: RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, kind: .transient),
        Case(error: RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, kind: .transient),
        // The record or its topic.
        Case(error: RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, kind: .perRecord),
        Case(error: RD_KAFKA_RESP_ERR_INVALID_RECORD, kind: .perRecord),
        Case(error: RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, kind: .perRecord),
        Case(error: RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, kind: .perRecord),
        Case(error: RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, kind: .perRecord),
        Case(error: RD_KAFKA_RESP_ERR_POLICY_VIOLATION, kind: .perRecord),
        // Our own purges.
        Case(error: RD_KAFKA_RESP_ERR__PURGE_QUEUE, kind: .purged),
        Case(error: RD_KAFKA_RESP_ERR__PURGE_INFLIGHT, kind: .purged),
        Case(error: RD_KAFKA_RESP_ERR__DESTROY, kind: .purged),
    ]

    /// Acknowledgements are settled without the classifier: a live record is
    /// delivered (a `kafka` caller learns where it went), a replayed one acknowledged.
    @Test func anAcknowledgementIsSettledAsDeliveredOrAcknowledged() {
        var settlement = Settlement()
        var awaited = Self.pending
        awaited.id = 8
        awaited.ack = .kafka
        settlement.addAcknowledged(.live(Self.pending), partition: 1, offset: 10)
        settlement.addAcknowledged(.live(awaited), partition: 2, offset: 20)
        settlement.addAcknowledged(.replay(id: 42), partition: 0, offset: 30)
        #expect(settlement.delivered.records == 2)
        #expect(settlement.delivered.bytes == 8)
        #expect(settlement.kafkaDelivered.map(\.id) == [8], "only the caller who waits for Kafka is answered")
        #expect(settlement.kafkaDelivered.first?.partition == 2 && settlement.kafkaDelivered.first?.offset == 20)
        #expect(settlement.replayAcks == [42])
        #expect(settlement.replaySettled == 1)
        #expect(settlement.spill.records.isEmpty && settlement.deadLetters.isEmpty && settlement.lastError == nil)
    }

    @Test(arguments: cases)
    func everyErrorClassHasItsPlaceAndItsBreakerOutcome(_ testCase: Case) {
        #expect(KafkaErrorKind(testCase.error) == testCase.kind)
        #expect(KafkaError(testCase.error).kind == testCase.kind)
        let live = ReportClassifier.classify(.live(Self.pending), error: KafkaError(testCase.error))
        let replayed = ReportClassifier.classify(.replay(id: 9), error: KafkaError(testCase.error))
        switch testCase.kind {
        case .transient:
            #expect(Self.place(live.move) == .spill)
            #expect(Self.place(replayed.move) == .replayRetry)
            #expect(Self.isFailure(live.outcome) && Self.isFailure(replayed.outcome), "the cluster is failing: the breaker hears of it")
            #expect(live.errorName == String(cString: rd_kafka_err2name(testCase.error)))
        case .perRecord:
            #expect(Self.place(live.move) == .deadLetter)
            #expect(Self.place(replayed.move) == .replayDeadLetter)
            #expect(live.outcome == nil && replayed.outcome == nil, "one bad record must not open the breaker for everyone")
            #expect(live.errorName != nil)
            if case .deadLetter(_, let reason) = live.move {
                #expect(reason.hasPrefix(String(cString: rd_kafka_err2name(testCase.error))))
            }
        case .purged:
            #expect(Self.place(live.move) == .spill)
            #expect(Self.place(replayed.move) == .replayRetry)
            #expect(live.outcome == nil, "our own purge is not the cluster's failure")
            #expect(live.errorName == nil, "purges are not counted as Kafka errors")
        }
    }
}
