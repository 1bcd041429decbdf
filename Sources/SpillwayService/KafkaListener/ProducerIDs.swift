import Synchronization

/// Producer ids for `InitProducerId`: unique within this process and unlikely to
/// repeat across restarts (they start at a random point), each with its epoch.
/// A producer that asks again with the id and epoch it has (KIP-360) gets the
/// next epoch, which fences its older self.
final class ProducerIDs: Sendable {
    private struct State {
        var next: Int64
        var epochs: [Int64: Int16] = [:]
    }

    private let state: Mutex<State>
    /// Producers remembered at once; beyond it the oldest ids are forgotten (they are
    /// then treated as producers whose state expired).
    private let capacity: Int

    init(capacity: Int = 100_000) {
        self.capacity = capacity
        state = Mutex(State(next: Int64.random(in: 1...(1 << 40))))
    }

    /// A fresh id at epoch 0, or, for a producer that names its id and epoch, the next epoch.
    func assign(existing producerID: Int64, epoch: Int16) -> (producerID: Int64, epoch: Int16) {
        state.withLock { state in
            if producerID >= 0, let current = state.epochs[producerID], current == epoch, epoch < Int16.max {
                state.epochs[producerID] = epoch + 1
                return (producerID, epoch + 1)
            }
            let id = state.next
            state.next += 1
            state.epochs[id] = 0
            if state.epochs.count > capacity, let oldest = state.epochs.keys.min() { state.epochs[oldest] = nil }
            return (id, 0)
        }
    }
}
