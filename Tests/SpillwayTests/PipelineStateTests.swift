@testable import Spillway
import SpillwaySpool
import Testing

@Suite struct PipelineStateTests {
    static func state(queue: Int = 10, handoff: Int = 5) -> PipelineState {
        var state = PipelineState(
            queueLimits: QueueLimits(maxRecords: queue, maxBytes: 1 << 20),
            handoffLimits: QueueLimits(maxRecords: handoff, maxBytes: 1 << 20),
            replay: ReplayConfiguration(),
            divertWhileBacklog: false
        )
        _ = state.start()
        return state
    }

    static func record(_ id: Int) -> Record {
        Record(topic: "t", value: Array("id-\(id)".utf8), timestamp: 0)
    }

    static func value(_ pending: PendingRecord?) -> String? {
        pending.map { String(decoding: $0.record.value ?? [], as: UTF8.self) }
    }

    /// When the breaker opens, a full queue and librdkafka's purge move into the
    /// hand-off at once: they use the room the queue no longer needs, instead of
    /// pushing out records just accepted. Memory stays within both bounds together.
    @Test func spillingTheQueueUsesItsRoomAndMemoryStaysWithinBothBounds() {
        var state = Self.state()
        state.setBreakerGates(sending: true, replay: true)
        for id in 0..<10 { #expect(state.accept(Self.record(id), size: 10).disposition == .queued) }
        let inFlight = state.takeLive(10)
        #expect(state.ledger.inFlight == 10)

        // The breaker opens: everything in flight comes back to be spooled.
        state.setBreakerGates(sending: false, replay: false)
        var settlement = Settlement()
        for pending in inFlight { settlement.add(ReportVerdict(move: .spill(pending))) }
        state.settle(settlement)
        #expect(state.ledger.handoffQueued == 10)
        #expect(state.ledger.droppedTotal == 0, "moving records between two bounded areas drops nothing")

        // New records fill what is left of both bounds (15), then push out the oldest.
        for id in 10..<20 { #expect(state.accept(Self.record(id), size: 10).disposition == .spooled) }
        #expect(state.ledger.handoffQueued == 15)
        #expect(state.ledger.dropped(.memoryFull) == 5)
        #expect(Self.value(state.queues.handoff.first) == "id-5")
        #expect(state.ledger.imbalance == 0)
    }

    /// With the queue in use, the hand-off keeps to its own bound.
    @Test func handoffKeepsItsOwnBoundWhileTheQueueIsFull() {
        var state = Self.state()
        state.setBreakerGates(sending: true, replay: true)
        for id in 0..<10 { _ = state.accept(Self.record(id), size: 10) }
        let inFlight = state.takeLive(10)
        for id in 10..<20 { #expect(state.accept(Self.record(id), size: 10).disposition == .spooled) }
        #expect(state.ledger.inFlight == inFlight.count)
        #expect(state.ledger.handoffQueued == 5)
        #expect(state.ledger.dropped(.memoryFull) == 5)
        #expect(state.ledger.queued + state.ledger.inFlight == 15)
        #expect(state.ledger.imbalance == 0)
    }

    /// Opening the breaker moves the whole live queue to the hand-off in one
    /// step, in order, behind what the hand-off already held.
    @Test func openingTheBreakerMovesTheQueueWholeAndInOrder() {
        var state = Self.state(queue: 100, handoff: 100)
        state.setBreakerGates(sending: false, replay: false)
        for id in 0..<3 { #expect(state.accept(Self.record(id), size: 10).disposition == .spooled) }
        state.setBreakerGates(sending: true, replay: true)
        for id in 3..<53 { #expect(state.accept(Self.record(id), size: 10).disposition == .queued) }
        state.setBreakerGates(sending: false, replay: false)
        #expect(state.queues.live.isEmpty)
        #expect(state.ledger.liveQueued == 0 && state.ledger.liveQueuedBytes == 0)
        #expect(state.ledger.handoffQueued == 53 && state.ledger.handoffBytes == 530)
        var order: [String] = []
        while true {
            let (ready, dead) = state.takeHandoff()
            #expect(dead.isEmpty)
            guard let ready else { break }
            order += ready.records.compactMap { Self.value($0) }
            state.spoolWrote(ready.records.count, bytes: ready.bytes, evicted: 0, totals: SpoolTotals())
        }
        #expect(order == (0..<53).map { "id-\($0)" })
        #expect(state.ledger.imbalance == 0)
    }

    /// A record bigger than all the room the hand-off has left pushes itself out:
    /// its disposition says so, instead of claiming it is on its way to the disk.
    @Test func aRecordThatCannotFitIsAnsweredAsDropped() {
        var state = PipelineState(
            queueLimits: QueueLimits(maxRecords: 10, maxBytes: 100),
            handoffLimits: QueueLimits(maxRecords: 10, maxBytes: 50),
            replay: ReplayConfiguration(),
            divertWhileBacklog: false
        )
        _ = state.start()
        state.setBreakerGates(sending: true, replay: true)
        #expect(state.accept(Self.record(0), size: 100).disposition == .queued, "fills the live bound")
        #expect(state.accept(Self.record(1), size: 60).disposition == .dropped(.memoryFull))
        #expect(state.accept(Self.record(2), size: 40).disposition == .spooled)
        #expect(state.ledger.imbalance == 0)
    }

    /// Lifecycle: a second `start` is refused; shutdown only acts once running,
    /// and records after it are counted as dropped, never lost.
    @Test func lifecycleRefusesASecondStartAndClosesIntakeOnShutdown() {
        var state = PipelineState(
            queueLimits: QueueLimits(maxRecords: 10, maxBytes: 1 << 20),
            handoffLimits: QueueLimits(maxRecords: 10, maxBytes: 1 << 20),
            replay: ReplayConfiguration(),
            divertWhileBacklog: false
        )
        #expect(state.shutdown() == .none, "not running yet")
        #expect(state.accept(Self.record(0), size: 10).disposition == .queued, "accepted into memory while starting: the breaker starts closed")
        #expect(state.start() == .startLoops)
        #expect(state.start() == .refuse)
        #expect(state.shutdown() == .wakeDeliveryLoop)
        #expect(state.shutdown() == .none)
        #expect(state.accept(Self.record(1), size: 10).disposition == .dropped(.shuttingDown))
        #expect(!state.spoolLoopMayFinish, "the delivery loop has not finished yet")
        state.deliveryLoopFinished(unreported: Settlement())
        let (ready, _) = state.takeHandoff()
        #expect(!state.spoolLoopMayFinish, "a batch is still being written")
        state.spoolWrote(ready?.records.count ?? 0, bytes: ready?.bytes ?? 0, evicted: 0, totals: SpoolTotals())
        #expect(state.spoolLoopMayFinish)
        state.spoolLoopFinished()
        #expect(state.lifecycle.phase == .stopped)
        #expect(state.ledger.imbalance == 0)
    }

    /// Replay's one rule: it runs when the breaker allows it and no operator paused it.
    @Test func replayRunsOnlyWhenTheBreakerAllowsAndNobodyPausedIt() {
        var state = Self.state()
        state.setBreakerGates(sending: false, replay: false)
        let read = (1...3).map { SpooledRecord(id: Int64($0), record: Self.record($0), cost: 10) }
        state.offerReplay(read)
        #expect(state.replay.outbox.isEmpty, "the breaker does not allow replay yet")
        #expect(state.takeReplayRewind() == 1, "what was read is read again later")

        state.setBreakerGates(sending: true, replay: true)
        state.offerReplay(read)
        #expect(state.takeReplay(max: 2).map(\.id) == [1, 2])
        state.pauseReplay()
        #expect(state.takeReplay(max: 10).isEmpty)
        #expect(state.takeReplayRewind() == nil, "not while 1 and 2 are being sent: they would be read twice")
        #expect(!state.mayReadReplayFromOldest)
        state.replaySent(taken: 2, sent: 0, deadLetters: [], unsentFrom: 1)
        #expect(state.takeReplayRewind() == 1, "the records not sent are read again")
        state.resumeReplay()
        #expect(state.replay.wanted)
        state.setBreakerGates(sending: false, replay: false)
        #expect(!state.replay.wanted)
    }

    /// A backlog that outgrew the live queue's reservation does not keep its storage
    /// once drained (a ring keeps all its storage resident under traffic): the delivery
    /// loop gets the outgrown storage to free outside the lock, and the queue starts
    /// small again. Order and the books are unchanged by the swap.
    @Test func aDrainedBacklogGivesBackTheLiveQueuesOutgrownStorage() {
        let backlog = RecordQueues.liveReservation + 904
        var state = Self.state(queue: 100_000, handoff: 10)
        state.setBreakerGates(sending: true, replay: true)
        for id in 0..<backlog { #expect(state.accept(Self.record(id), size: 10).disposition == .queued) }
        var taken: [String] = []
        while true {
            let batch = state.takeLive(1000)
            if batch.isEmpty { break }
            taken += batch.compactMap { Self.value($0) }
            if state.queues.live.isEmpty {
                #expect(state.takeRetiredLiveQueue()?.isEmpty == true, "the emptied queue's storage is handed out")
            } else {
                #expect(state.takeRetiredLiveQueue() == nil, "no swap while records wait")
            }
        }
        #expect(taken == (0..<backlog).map { "id-\($0)" })
        #expect(state.ledger.inFlight == backlog && state.ledger.imbalance == 0)

        // Within the reservation the queue is kept as it is.
        for id in 0..<100 { _ = state.accept(Self.record(id), size: 10) }
        #expect(state.takeLive(1000).count == 100)
        #expect(state.takeRetiredLiveQueue() == nil)
    }
}
