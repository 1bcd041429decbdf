@testable import SpillwayService
import Testing

/// Idempotent producers' sequence numbers, as a broker checks them.
struct ProducerSequencesTests {
    static let key = ProducerSequences.PartitionKey(producerID: 7, topic: "t", partition: 0)

    static func take(_ sequences: inout ProducerSequences, first: Int32, count: Int, epoch: Int16 = 0) -> ProducerSequences.Ticket? {
        if case .take(let ticket) = sequences.check(key, epoch: epoch, firstSequence: first, count: count) { return ticket }
        return nil
    }

    @Test func batchesInOrderAreTakenAndARetryOfATakenOneIsADuplicate() throws {
        var sequences = ProducerSequences()
        let first = try #require(Self.take(&sequences, first: 0, count: 10))
        let second = try #require(Self.take(&sequences, first: 10, count: 5))
        // Still being answered: the client must not be told it succeeded yet.
        #expect(sequences.check(Self.key, epoch: 0, firstSequence: 0, count: 10) == .inProgress)
        sequences.settle(first, .succeeded(baseOffset: 100))
        sequences.settle(second, .succeeded(baseOffset: 110))
        #expect(sequences.check(Self.key, epoch: 0, firstSequence: 0, count: 10) == .duplicate(baseOffset: 100))
        #expect(sequences.check(Self.key, epoch: 0, firstSequence: 10, count: 5) == .duplicate(baseOffset: 110))
        #expect(Self.take(&sequences, first: 15, count: 1) != nil)
    }

    @Test func aGapIsOutOfOrderAndTakesNothing() throws {
        var sequences = ProducerSequences()
        _ = try #require(Self.take(&sequences, first: 0, count: 3))
        #expect(sequences.check(Self.key, epoch: 0, firstSequence: 5, count: 1) == .outOfOrder(expected: 3))
        #expect(Self.take(&sequences, first: 3, count: 1) != nil, "the gap did not move the expected number")
    }

    @Test func aFailedBatchIsTakenAgainWhenRetriedEvenAfterLaterOnes() throws {
        var sequences = ProducerSequences()
        let failed = try #require(Self.take(&sequences, first: 0, count: 4))
        let later = try #require(Self.take(&sequences, first: 4, count: 4))
        sequences.settle(failed, .failed)
        sequences.settle(later, .succeeded(baseOffset: 4))
        // Its retry is new work, not a duplicate: answering it "done" would lose it.
        #expect(Self.take(&sequences, first: 0, count: 4) != nil)
        #expect(sequences.check(Self.key, epoch: 0, firstSequence: 4, count: 4) == .duplicate(baseOffset: 4))
    }

    @Test func aFailedBatchIsRememberedPastTheRecentWindow() throws {
        var sequences = ProducerSequences()
        let failed = try #require(Self.take(&sequences, first: 0, count: 1))
        sequences.settle(failed, .failed)
        for sequence in 1...20 {
            let ticket = try #require(Self.take(&sequences, first: Int32(sequence), count: 1))
            sequences.settle(ticket, .succeeded(baseOffset: Int64(sequence)))
        }
        #expect(Self.take(&sequences, first: 0, count: 1) != nil)
        // A succeeded batch older than the window is still a duplicate, without its offset.
        #expect(sequences.check(Self.key, epoch: 0, firstSequence: 2, count: 1) == .duplicate(baseOffset: nil))
    }

    @Test func anUnknownProducerStartsWhereverItIsAsAfterARestart() {
        var sequences = ProducerSequences()
        #expect(Self.take(&sequences, first: 4711, count: 2) != nil)
        #expect(Self.take(&sequences, first: 4713, count: 1) != nil)
    }

    @Test func epochsFenceOlderProducersAndANewEpochStartsAtZero() throws {
        var sequences = ProducerSequences()
        _ = try #require(Self.take(&sequences, first: 0, count: 5, epoch: 1))
        #expect(sequences.check(Self.key, epoch: 0, firstSequence: 5, count: 1) == .staleEpoch(current: 1))
        #expect(sequences.check(Self.key, epoch: 2, firstSequence: 5, count: 1) == .outOfOrder(expected: 0))
        #expect(Self.take(&sequences, first: 0, count: 1, epoch: 2) != nil)
        #expect(sequences.check(Self.key, epoch: 1, firstSequence: 5, count: 1) == .staleEpoch(current: 2))
    }

    @Test func sequencesWrapFromInt32MaxToZero() throws {
        var sequences = ProducerSequences()
        let ticket = try #require(Self.take(&sequences, first: Int32.max - 1, count: 3))
        #expect(ticket.lastSequence == 0)
        #expect(Self.take(&sequences, first: 1, count: 1) != nil)
    }

    @Test func partitionsAreKeptApartAndTheLeastRecentlyUsedGoFirst() throws {
        var sequences = ProducerSequences(capacity: 10)
        for partition in 0..<11 {
            let key = ProducerSequences.PartitionKey(producerID: 1, topic: "t", partition: Int32(partition))
            #expect(sequences.check(key, epoch: 0, firstSequence: 0, count: 1) != .outOfOrder(expected: 0))
        }
        #expect(sequences.count <= 10)
        let newest = ProducerSequences.PartitionKey(producerID: 1, topic: "t", partition: 10)
        #expect(sequences.check(newest, epoch: 0, firstSequence: 1, count: 1) != .outOfOrder(expected: 0), "the newest is still known")
    }
}
