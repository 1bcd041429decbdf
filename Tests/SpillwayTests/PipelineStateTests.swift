@testable import Spillway
import SpillwaySpool
import Testing

@Suite struct PipelineStateTests {
    func state() -> PipelineState {
        var state = PipelineState(
            queueLimits: QueueLimits(maxRecords: 10, maxBytes: 1 << 20),
            handoffLimits: QueueLimits(maxRecords: 5, maxBytes: 1 << 20),
            replay: ReplayConfiguration(),
            divertWhileBacklog: false
        )
        state.phase = .running
        return state
    }

    func record(_ id: Int) -> Record {
        Record(topic: "t", value: Array("id-\(id)".utf8), timestamp: 0)
    }

    /// When the breaker opens, a full queue and librdkafka's purge move into the
    /// hand-off at once: they use the room the queue no longer needs, instead of
    /// pushing out records just accepted. Memory stays within both bounds together.
    @Test func spillingTheQueueUsesItsRoomAndMemoryStaysWithinBothBounds() {
        var state = state()
        state.sending = true
        for id in 0..<10 { #expect(state.accept(record(id), size: 10) == .queued) }
        let inFlight = state.takeLive(10)
        #expect(state.ledger.inFlight == 10)

        // The breaker opens: everything in flight comes back to be spooled.
        state.sending = false
        for pending in inFlight { state.spillFromFlight(pending) }
        #expect(state.ledger.handoffQueued == 10)
        #expect(state.ledger.droppedTotal == 0, "moving records between two bounded areas drops nothing")

        // New records fill what is left of both bounds (15), then push out the oldest.
        for id in 10..<20 { #expect(state.accept(record(id), size: 10) == .spooled) }
        #expect(state.ledger.handoffQueued == 15)
        #expect(state.ledger.dropped(.memoryFull) == 5)
        #expect(state.handoff.first.map { String(decoding: $0.record.value, as: UTF8.self) } == "id-5")
        #expect(state.ledger.imbalance == 0)
    }

    /// With the queue in use, the hand-off keeps to its own bound.
    @Test func handoffKeepsItsOwnBoundWhileTheQueueIsFull() {
        var state = state()
        state.sending = true
        for id in 0..<10 { _ = state.accept(record(id), size: 10) }
        state.sending = false
        for id in 10..<20 { #expect(state.accept(record(id), size: 10) == .spooled) }
        #expect(state.ledger.liveQueued == 10)
        #expect(state.ledger.handoffQueued == 5)
        #expect(state.ledger.dropped(.memoryFull) == 5)
        #expect(state.ledger.queued + state.ledger.inFlight == 15)
        #expect(state.ledger.imbalance == 0)
    }
}
