/// Idempotent producers' sequence numbers, per producer and partition, kept as a
/// broker keeps them so that a client's retry of a batch Spillway already took is
/// not taken twice, and a gap is reported as one. Pure: the listener holds it
/// under a lock and carries out each verdict.
///
/// A batch is *taken* when it is handed to the pipeline, and *settled* once its
/// records are answered. A batch settled as failed (the client was told to retry)
/// is taken again when retried; one that succeeded is answered as a duplicate.
/// A producer never seen (a new one, or one from before Spillway restarted) starts
/// wherever its sequence is, as a broker treats a producer whose state expired.
struct ProducerSequences: Sendable {
    struct PartitionKey: Hashable, Sendable {
        var producerID: Int64
        var topic: String
        var partition: Int32
    }

    /// One batch, by its first and last sequence numbers.
    struct Ticket: Hashable, Sendable {
        var key: PartitionKey
        var epoch: Int16
        var firstSequence: Int32
        var lastSequence: Int32
    }

    enum Outcome: Equatable, Sendable {
        case pending
        case succeeded(baseOffset: Int64)
        case failed
    }

    enum Verdict: Equatable, Sendable {
        /// Hand the batch over, then `settle` the ticket.
        case take(Ticket)
        /// Taken before and succeeded: answer as the original was answered (the
        /// offset, when still remembered).
        case duplicate(baseOffset: Int64?)
        /// Taken before and not answered yet: the client should try again later.
        case inProgress
        /// A sequence number was skipped (records were lost between client and here).
        case outOfOrder(expected: Int32)
        /// An older epoch of a producer that has since been fenced by a newer one.
        case staleEpoch(current: Int16)
    }

    private struct Batch: Sendable {
        var firstSequence: Int32
        var lastSequence: Int32
        var outcome: Outcome
    }

    private struct PartitionState: Sendable {
        var epoch: Int16
        /// The last sequence number taken in order.
        var lastSequence: Int32
        /// Recent batches, oldest first: enough for a client's in-flight window,
        /// and failed ones until they are retried.
        var recent: [Batch]
        var lastUsed: UInt64
    }

    /// Batches remembered per partition besides failed ones (clients keep at most 5 in flight).
    static let recentBatches = 5
    /// Failed batches are kept at most this many per partition.
    static let maxRemembered = 32

    private var states: [PartitionKey: PartitionState] = [:]
    private var clock: UInt64 = 0
    /// Producer-partitions remembered at once; the least recently used go first beyond it.
    let capacity: Int

    init(capacity: Int = 100_000) {
        self.capacity = capacity
    }

    var count: Int { states.count }

    static func lastSequence(first: Int32, count: Int) -> Int32 {
        // Sequence numbers wrap from Int32.max to 0, as Kafka's do.
        Int32((Int64(first) + Int64(count) - 1) % (Int64(Int32.max) + 1))
    }

    static func next(after sequence: Int32) -> Int32 {
        sequence == Int32.max ? 0 : sequence + 1
    }

    /// What to do with a batch of `count` records from `producerID` at `epoch`.
    mutating func check(_ key: PartitionKey, epoch: Int16, firstSequence: Int32, count: Int) -> Verdict {
        clock += 1
        let last = Self.lastSequence(first: firstSequence, count: count)
        let ticket = Ticket(key: key, epoch: epoch, firstSequence: firstSequence, lastSequence: last)
        guard var state = states[key] else {
            states[key] = PartitionState(
                epoch: epoch, lastSequence: last, recent: [Batch(firstSequence: firstSequence, lastSequence: last, outcome: .pending)], lastUsed: clock
            )
            evictIfFull()
            return .take(ticket)
        }
        defer { states[key] = state }
        state.lastUsed = clock
        if epoch < state.epoch { return .staleEpoch(current: state.epoch) }
        if epoch > state.epoch {
            // A new epoch starts its sequences again from 0.
            guard firstSequence == 0 else { return .outOfOrder(expected: 0) }
            state = PartitionState(epoch: epoch, lastSequence: last, recent: [], lastUsed: clock)
            state.recent.append(Batch(firstSequence: firstSequence, lastSequence: last, outcome: .pending))
            return .take(ticket)
        }
        if let index = state.recent.firstIndex(where: { $0.firstSequence == firstSequence && $0.lastSequence == last }) {
            switch state.recent[index].outcome {
            case .succeeded(let offset): return .duplicate(baseOffset: offset)
            case .pending: return .inProgress
            case .failed:
                state.recent[index].outcome = .pending
                return .take(ticket)
            }
        }
        if firstSequence == Self.next(after: state.lastSequence) {
            state.lastSequence = last
            state.recent.append(Batch(firstSequence: firstSequence, lastSequence: last, outcome: .pending))
            trim(&state)
            return .take(ticket)
        }
        // Behind what was taken, and no longer remembered: taken long ago.
        if firstSequence < state.lastSequence, state.lastSequence - firstSequence < Int32.max / 2 {
            return .duplicate(baseOffset: nil)
        }
        return .outOfOrder(expected: Self.next(after: state.lastSequence))
    }

    /// The batch of `ticket` was answered: `succeeded` with its base offset (-1 when
    /// Kafka's is not known), or `failed` (the client was told to retry it).
    mutating func settle(_ ticket: Ticket, _ outcome: Outcome) {
        guard var state = states[ticket.key], state.epoch == ticket.epoch else { return }
        guard let index = state.recent.firstIndex(where: { $0.firstSequence == ticket.firstSequence && $0.lastSequence == ticket.lastSequence })
        else { return }
        state.recent[index].outcome = outcome
        trim(&state)
        states[ticket.key] = state
    }

    /// Keeps the newest `recentBatches` settled or pending batches, and failed ones up to `maxRemembered`.
    private func trim(_ state: inout PartitionState) {
        while state.recent.count > Self.recentBatches {
            if state.recent.count > Self.maxRemembered {
                state.recent.removeFirst()
                continue
            }
            guard let index = state.recent.indices.dropLast(Self.recentBatches).first(where: { state.recent[$0].outcome != .failed }) else { return }
            state.recent.remove(at: index)
        }
    }

    private mutating func evictIfFull() {
        guard states.count > capacity else { return }
        // Rare: drop the least recently used tenth at once.
        let oldest = states.sorted { $0.value.lastUsed < $1.value.lastUsed }.prefix(max(1, capacity / 10))
        for (key, _) in oldest { states[key] = nil }
    }
}
