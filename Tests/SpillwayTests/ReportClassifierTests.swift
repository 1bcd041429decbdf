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

    @Test func anAcknowledgementDeliversAndReportsItsLatency() {
        let live = ReportClassifier.classify(.live(Self.pending), error: nil, latency: .milliseconds(12))
        #expect(Self.place(live.move) == .delivered)
        #expect(live.outcome == .success(latency: .milliseconds(12)))
        #expect(live.errorName == nil)

        let replayed = ReportClassifier.classify(.replay(id: 42), error: nil, latency: .milliseconds(3))
        guard case .replayAcknowledged(let id) = replayed.move else {
            Issue.record("a replayed record's acknowledgement was \(replayed.move)")
            return
        }
        #expect(id == 42)
        #expect(replayed.outcome == .success(latency: .milliseconds(3)))
    }

    /// Already counted as slow, or sent before the first connection: it says nothing about health.
    @Test func anAcknowledgementWithoutLatencyTellsTheBreakerNothing() {
        let verdict = ReportClassifier.classify(.live(Self.pending), error: nil, latency: nil)
        #expect(Self.place(verdict.move) == .delivered)
        #expect(verdict.outcome == nil)
    }

    @Test(arguments: cases)
    func everyErrorClassHasItsPlaceAndItsBreakerOutcome(_ testCase: Case) {
        #expect(KafkaErrorKind(testCase.error) == testCase.kind)
        #expect(KafkaError(testCase.error).kind == testCase.kind)
        let live = ReportClassifier.classify(.live(Self.pending), error: KafkaError(testCase.error), latency: .milliseconds(1))
        let replayed = ReportClassifier.classify(.replay(id: 9), error: KafkaError(testCase.error), latency: .milliseconds(1))
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
