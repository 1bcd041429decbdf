import Spillway
import SpillwayKafkaWire
@testable import SpillwayService
import Testing

/// What a producer is told about a partition's records, from the answer each record got.
struct PartitionAnswerTests {
    static let delivered = Acknowledgement(disposition: .delivered, reached: .kafka, partition: 1, offset: 40)
    static let spooled = Acknowledgement(disposition: .spooled, reached: .spool, reason: .kafkaUnavailable)
    static let inMemory = Acknowledgement(disposition: .queued, reached: .memory, reason: .timeout)

    @Test func deliveredRecordsAnswerWithKafkasOffsetOfTheFirst() {
        let answer = PartitionAnswer.of([Self.delivered, Acknowledgement(disposition: .delivered, reached: .kafka, partition: 1, offset: 41)], level: .kafka)
        #expect(answer == PartitionAnswer(errorCode: .none, baseOffset: 40, message: nil))
    }

    /// A client takes record `i` to be at the base offset + `i`: an offset is
    /// given only when that is where each record is.
    @Test func recordsNotSideBySideInKafkaAnswerWithoutAnOffset() {
        let at = { (partition: Int32, offset: Int64) in Acknowledgement(disposition: .delivered, reached: .kafka, partition: partition, offset: offset) }
        #expect(PartitionAnswer.of([at(1, 40), at(1, 41), at(1, 42)], level: .kafka).baseOffset == 40)
        #expect(PartitionAnswer.of([at(1, 40), at(1, 42)], level: .kafka) == PartitionAnswer(errorCode: .none, baseOffset: -1, message: nil))
        #expect(PartitionAnswer.of([at(1, 40), at(2, 41)], level: .kafka).baseOffset == -1)
        #expect(PartitionAnswer.of([Self.delivered, Self.spooled], level: .kafka).baseOffset == -1, "the second is in the spool, not at 41")
        #expect(PartitionAnswer.of([Self.delivered], level: .spool).baseOffset == 40)
    }

    @Test func spooledRecordsAreASuccessWithoutAnOffset() {
        #expect(PartitionAnswer.of([Self.spooled, Self.delivered], level: .kafka) == PartitionAnswer(errorCode: .none, baseOffset: -1, message: nil))
        #expect(PartitionAnswer.of([Self.spooled], level: .spool).succeeded)
    }

    @Test func aDroppedRecordIsARetriableErrorNeverASilentSuccess() {
        let answer = PartitionAnswer.of([Self.delivered, Acknowledgement(disposition: .dropped(.spoolEvicted), reached: nil)], level: .kafka)
        #expect(answer.errorCode == .notEnoughReplicas)
        #expect(answer.message?.contains("1 of 2") == true && answer.message?.contains("spool_evicted") == true)
    }

    @Test func aRecordOnlyInMemoryAtItsDeadlineIsATimeout() {
        let answer = PartitionAnswer.of([Self.spooled, Self.inMemory], level: .spool)
        #expect(answer.errorCode == .requestTimedOut)
        #expect(PartitionAnswer.of([Self.inMemory], level: .memory).succeeded)
    }
}
