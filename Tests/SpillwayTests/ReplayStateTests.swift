@testable import Spillway
import SpillwaySpool
import Testing

/// The replay rules shared by the delivery loop and the spool loop, as a pure value.
@Suite struct ReplayStateTests {
    static func read(_ ids: ClosedRange<Int64>) -> [SpooledRecord] {
        ids.map { SpooledRecord(id: $0, record: Record(topic: "t", value: Array("r\($0)".utf8), timestamp: 0), cost: 1) }
    }

    func replaying() -> ReplayState {
        var state = ReplayState(configuration: ReplayConfiguration())
        state.setBreakerAllows(true)
        return state
    }

    /// One record of a batch failed and the rest were acknowledged: reading again
    /// from the failed one before the acknowledged ones are deleted would send them
    /// twice (found by the chaos harness: unmarked duplicates a few offsets apart).
    @Test func aRewindWaitsUntilAcknowledgedRecordsAreDeleted() {
        var state = replaying()
        state.offer(Self.read(1...5))
        #expect(state.take(max: 10).map(\.id) == [1, 2, 3, 4, 5])
        state.handedOver(5)
        state.settle(acks: [2, 3, 4, 5], deadLetters: [], failed: [1], possiblyPersisted: [])
        #expect(state.takeRewind(replayInFlight: 0) == nil, "records 2–5 are still in the spool")
        let bookkeeping = state.takeBookkeeping()
        #expect(bookkeeping.acks == [2, 3, 4, 5])
        #expect(bookkeeping.failed == [1])
        #expect(state.takeRewind(replayInFlight: 0) == 1)
        #expect(state.takeRewind(replayInFlight: 0) == nil, "taken once")
    }

    /// A failed record's possibly-persisted mark is written before it is read again,
    /// so its next copy carries the mark.
    @Test func aRewindWaitsUntilPossiblyPersistedMarksAreWritten() {
        var state = replaying()
        state.offer(Self.read(1...2))
        _ = state.take(max: 10)
        state.handedOver(2)
        state.settle(acks: [], deadLetters: [], failed: [1, 2], possiblyPersisted: [2])
        #expect(state.takeRewind(replayInFlight: 0) == nil)
        #expect(state.takeBookkeeping().possiblyPersisted == [2])
        #expect(state.takeRewind(replayInFlight: 0) == 1)
    }

    @Test func aRewindWaitsForRecordsStillInFlight() {
        var state = replaying()
        state.offer(Self.read(1...3))
        _ = state.take(max: 10)
        state.handedOver(3)
        state.settle(acks: [], deadLetters: [], failed: [2], possiblyPersisted: [])
        _ = state.takeBookkeeping()
        #expect(state.takeRewind(replayInFlight: 2) == nil)
        #expect(state.takeRewind(replayInFlight: 0) == 2)
    }

    /// Between the delivery loop taking records and handing them to librdkafka,
    /// they are neither waiting nor in flight, yet still in the spool: reading from
    /// the oldest then would send them twice (found by the chaos harness: unmarked
    /// duplicates a few offsets apart, with Kafka healthy).
    @Test func recordsBeingSentAreNotReadAgain() {
        var state = replaying()
        state.offer(Self.read(1...3))
        _ = state.take(max: 10)
        #expect(!state.mayReadFromOldest(replayInFlight: 0))
        state.handedOver(3)
        #expect(state.mayReadFromOldest(replayInFlight: 0))
        #expect(!state.mayReadFromOldest(replayInFlight: 3))
    }

    /// Records read while replay stopped are not kept: they are read again later.
    @Test func recordsOfferedWhileStoppedAreReadAgain() {
        var state = replaying()
        state.setBreakerAllows(false)
        state.offer(Self.read(7...9))
        #expect(state.outbox.isEmpty)
        #expect(state.takeRewind(replayInFlight: 0) == 7)
    }
}
