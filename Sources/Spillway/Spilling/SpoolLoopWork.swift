import DequeModule
import SpillwaySpool

/// One round of the spool loop's work, taken from the pipeline state under one
/// lock: escrow copies to write and what to do with committed ones, the hand-off's
/// oldest chunk and its dead letters, Kafka's verdicts on replayed records, and
/// live queues dropped whole whose callers must be found.
struct SpoolLoopWork: Sendable {
    var escrow: [PendingRecord]
    var escrowBookkeeping: EscrowBook.Bookkeeping
    var handoff: (ready: HandoffQueue.Chunk?, dead: [DeadLetter])
    var replayBookkeeping: ReplayState.Bookkeeping
    var droppedToScan: [Deque<PendingRecord>]

    var isEmpty: Bool {
        escrow.isEmpty && escrowBookkeeping.isEmpty && handoff.ready == nil && handoff.dead.isEmpty
            && replayBookkeeping.isEmpty && droppedToScan.isEmpty
    }
}
