import Spillway
@testable import SpillwayService
import Testing

/// What a REST Proxy client is told about one record, from the answer it got at the level asked.
struct RestProxyOffsetTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var answer: Acknowledgement?
        var level: AckLevel
        /// `error_code`, and a word `error` must hold.
        var code: Int?
        var says: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "taken at memory", answer: Acknowledgement(disposition: .queued, reached: .memory), level: .memory),
        Case(name: "committed at spool", answer: Acknowledgement(disposition: .spooled, reached: .spool), level: .spool),
        Case(
            name: "only in memory at spool, past the timeout", answer: Acknowledgement(disposition: .spooled, reached: .memory, reason: .timeout),
            level: .spool, code: 50003, says: "ack_timeout"
        ),
        Case(
            name: "in the spool at kafka, past the timeout", answer: Acknowledgement(disposition: .spooled, reached: .spool, reason: .timeout),
            level: .kafka, code: 20201, says: "ack_timeout"
        ),
        Case(
            name: "in the spool at kafka, Kafka unavailable", answer: Acknowledgement(disposition: .spooled, reached: .spool, reason: .kafkaUnavailable),
            level: .kafka, code: 20201, says: "ack_kafka_unavailable"
        ),
        Case(
            name: "only in memory at kafka, past the timeout", answer: Acknowledgement(disposition: .queued, reached: .memory, reason: .timeout),
            level: .kafka, code: 50003, says: "ack_timeout"
        ),
        Case(
            name: "only in memory at kafka, too many waiting", answer: Acknowledgement(disposition: .queued, reached: .memory, reason: .capacity),
            level: .kafka, code: 50003, says: "ack_capacity"
        ),
        Case(
            name: "dead-lettered at kafka", answer: Acknowledgement(disposition: .spooled, reached: .spool, reason: .deadLetter),
            level: .kafka, code: 50002, says: "dead-letter"
        ),
        Case(name: "dropped", answer: Acknowledgement(disposition: .dropped(.memoryFull), reached: nil), level: .kafka, code: 50002, says: "memory_full"),
        Case(name: "refused before the hand-over", answer: nil, level: .kafka, code: 42202, says: "bad key"),
    ]

    @Test(arguments: cases) func eachAnswerSaysWhereTheRecordIs(_ test: Case) {
        let offset = RestProxyProduce.Offset.answering(test.answer, at: test.level, rejection: "bad key")
        #expect(offset.errorCode == test.code)
        if let says = test.says {
            #expect(offset.error?.contains(says) == true, "\(offset.error ?? "no error")")
        } else {
            #expect(offset.error == nil)
        }
        #expect(offset.partition == nil && offset.offset == nil)
    }

    @Test func aRecordKafkaAcknowledgedHasItsPartitionAndOffset() {
        let offset = RestProxyProduce.Offset.answering(
            Acknowledgement(disposition: .delivered, reached: .kafka, partition: 2, offset: 40), at: .kafka, rejection: nil
        )
        #expect(offset.partition == 2 && offset.offset == 40 && offset.errorCode == nil && offset.error == nil)
    }
}
