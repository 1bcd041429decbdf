import SpillwaySpool

/// One consistent picture of the pipeline, for status pages and tests.
public struct SpillwayStatus: Sendable {
    /// Every conservation term, taken under one lock.
    public var ledger: Ledger
    public var breaker: BreakerSnapshot
    /// The spool's counts as of its last write (`nil` figures when it is unavailable).
    public var spool: SpoolTotals
    /// The spool is open and writable (not before its first opening succeeded).
    public var spoolAvailable: Bool
    public var replayPaused: Bool
    /// The replay rate allowed right now (records/s), 0 when not replaying.
    public var replayRate: Double
    /// What the replay controller is doing, and why.
    public var replayPhase: ReplayPhase
    public var replayConfiguration: ReplayConfiguration
    /// The most recent error worth an operator's attention.
    public var lastError: String?
    public var running: Bool
    /// Acknowledgement levels: records asked for at `spool` and `kafka`, answers by
    /// outcome, and callers waiting now. Escrow copies on disk are `spool.escrowCount`.
    public var acks: AckCounts
    /// Why the loaded librdkafka cannot speak to the broker at all, while that
    /// holds: a deployment mistake no retry fixes, so `/readyz` reports it.
    public var kafkaIncompatibility: String? = nil
}

extension SpillwayStatus {
    /// The picture of `state`, taken under its lock (`StatusView`): the ledger balances in it.
    init(_ state: PipelineState) {
        self.init(
            ledger: state.ledger,
            breaker: state.statusCache.breaker,
            spool: state.statusCache.spoolTotals,
            spoolAvailable: state.statusCache.spoolOpen,
            replayPaused: state.replay.paused,
            replayRate: state.replay.phase.isReplaying ? state.replay.rate : 0,
            replayPhase: state.replay.phase,
            replayConfiguration: state.replay.configuration,
            lastError: state.statusCache.lastError,
            running: state.lifecycle.phase == .running,
            acks: state.book.figures,
            kafkaIncompatibility: state.statusCache.kafkaIncompatibility
        )
    }
}
