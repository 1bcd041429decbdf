import Dispatch
import NIOConcurrencyHelpers
import SpillwaySpool

/// The caller's view of the pipeline state (`send`, on any thread or task): hand
/// prepared records over, one O(1) transition each under the lock, count
/// refusals, and wake whichever loop now has work. Nothing else of the state is
/// within its reach.
final class IntakeView: Sendable {
    private let state: NIOLockedValueBox<PipelineState>
    private let client: RDKafkaClient
    private let spoolWake: DispatchSemaphore

    init(_ state: NIOLockedValueBox<PipelineState>, client: RDKafkaClient, spoolWake: DispatchSemaphore) {
        self.state = state
        self.client = client
        self.spoolWake = spoolWake
    }

    /// Hands one record over at level `memory`.
    func accept(_ record: consuming Record, size: Int) -> Disposition {
        // Moved, not copied, into the queue: one copy of the caller's buffers' references.
        var record = Optional(record)
        let acceptance = state.withLockedValue { $0.accept(record.take()!, size: size) }
        if acceptance.wakeDelivery { client.wakeUp() }
        return acceptance.disposition
    }

    /// Hands a batch over under one lock, at level `memory`; dispositions in order.
    func accept(_ batch: [RecordPreparer.Prepared]) -> [Disposition] {
        var dispositions: [Disposition] = []
        dispositions.reserveCapacity(batch.count)
        let wake = state.withLockedValue { state in
            var wake = false
            for item in batch {
                switch item {
                case .accepted(let record, let size):
                    let acceptance = state.accept(record, size: size)
                    wake = wake || acceptance.wakeDelivery
                    dispositions.append(acceptance.disposition)
                case .rejected(let rejection):
                    state.reject(rejection.code)
                    dispositions.append(.rejected(rejection))
                }
            }
            return wake
        }
        if wake { client.wakeUp() }
        return dispositions
    }

    /// Hands one record over for a caller that waits: its answer when known at
    /// once, or `nil` once registered (`request.recipient` is told later).
    func accept(_ record: consuming Record, size: Int, awaiting request: AckRequest) -> Acknowledgement? {
        var record = Optional(record)
        let acceptance = state.withLockedValue { $0.accept(record.take()!, size: size, awaiting: request) }
        wake(delivery: acceptance.wakeDelivery, spool: acceptance.wakeSpool)
        return acceptance.answer
    }

    /// Hands a batch over under one lock for a caller that waits at `level`: the
    /// answers known at once, by position; the rest fill `recipients` later.
    func accept(
        _ batch: [RecordPreparer.Prepared], awaiting level: AckLevel, now: ContinuousClock.Instant, recipient: (Int) -> AckRecipient
    ) -> [(index: Int, answer: Acknowledgement)] {
        let (immediate, wakeDelivery, wakeSpool) = state.withLockedValue { state in
            var immediate: [(index: Int, answer: Acknowledgement)] = []
            var wakeDelivery = false
            var wakeSpool = false
            for (index, item) in batch.enumerated() {
                switch item {
                case .accepted(let record, let size):
                    let acceptance = state.accept(record, size: size, awaiting: AckRequest(level: level, recipient: recipient(index), now: now))
                    if let answer = acceptance.answer { immediate.append((index, answer)) }
                    wakeDelivery = wakeDelivery || acceptance.wakeDelivery
                    wakeSpool = wakeSpool || acceptance.wakeSpool
                case .rejected(let rejection):
                    state.reject(rejection.code, awaiting: level, rejection: rejection)
                    immediate.append((index, Acknowledgement(disposition: .rejected(rejection), reached: nil)))
                }
            }
            return (immediate, wakeDelivery, wakeSpool)
        }
        wake(delivery: wakeDelivery, spool: wakeSpool)
        return immediate
    }

    /// Counts a refusal at intake; a caller that waits at `level` is counted as answered.
    func reject(_ code: String, count: Int = 1, awaiting level: AckLevel? = nil, rejection: Rejection? = nil) {
        state.withLockedValue { $0.reject(code, count: count, awaiting: level, rejection: rejection) }
    }

    private func wake(delivery: Bool, spool: Bool) {
        if delivery { client.wakeUp() }
        if spool { spoolWake.signal() }
    }
}
