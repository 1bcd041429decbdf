import NIOConcurrencyHelpers

/// The status pages' and metrics' view of the pipeline state: one consistent
/// snapshot, copied under the lock (the ledger balances in it), nothing to change.
final class StatusView: Sendable {
    private let state: NIOLockedValueBox<PipelineState>

    init(_ state: NIOLockedValueBox<PipelineState>) {
        self.state = state
    }

    func snapshot() -> SpillwayStatus {
        state.withLockedValue { SpillwayStatus($0) }
    }

    var ledger: Ledger {
        state.withLockedValue { $0.ledger }
    }
}
