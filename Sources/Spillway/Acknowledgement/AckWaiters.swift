import DequeModule

/// Callers waiting for a `spool` or `kafka` acknowledgement, by the intake id of
/// the record each waits for. Pure: time is passed in, and answering a waiter
/// only hands its token back; the pipeline resumes it outside its lock.
///
/// Every operation is O(1) (amortized): waiters are found by id, and deadlines
/// expire from the front of a queue kept in registration order, which is
/// deadline order because every waiter gets the same timeout.
struct AckWaiters<Token: Sendable>: Sendable {
    typealias Instant = ContinuousClock.Instant

    struct Waiter: Sendable {
        var token: Token
        var level: AckLevel
        /// Payload bytes of the record, charged against `maxPendingBytes`.
        var size: Int
        /// What the record is now, as `send` would say it: the answer at the deadline
        /// when nothing better is known.
        var disposition: Disposition
    }

    let limits: AckConfiguration
    private var waiting: [UInt64: Waiter] = [:]
    /// (deadline, id), oldest first; ids already answered are skipped when met.
    private var deadlines = Deque<(at: Instant, id: UInt64)>()
    private(set) var pendingBytes = 0

    init(limits: AckConfiguration) {
        self.limits = limits
    }

    var pendingCount: Int { waiting.count }
    /// Deadlines kept, answered waiters' included until they reach the front: for tests.
    var scheduledDeadlines: Int { deadlines.count }
    var isEmpty: Bool { waiting.isEmpty }

    /// Whether one more waiter for a record of `size` bytes stays within the bounds.
    func hasRoom(forBytes size: Int) -> Bool {
        waiting.count < limits.maxPendingRecords && pendingBytes + size <= limits.maxPendingBytes
    }

    mutating func register(_ id: UInt64, level: AckLevel, size: Int, disposition: Disposition, token: Token, now: Instant) {
        assert(waiting[id] == nil, "record \(id) has a waiter already")
        waiting[id] = Waiter(token: token, level: level, size: size, disposition: disposition)
        pendingBytes += size
        // Answered waiters at the front are gone for good: drop their deadlines now,
        // so the queue holds about as many entries as there are waiters.
        while let first = deadlines.first, waiting[first.id] == nil { deadlines.removeFirst() }
        deadlines.append((now + limits.timeout, id))
    }

    /// The record moved (into the hand-off, say): what the deadline's answer says.
    mutating func setDisposition(_ id: UInt64, _ disposition: Disposition) {
        waiting[id]?.disposition = disposition
    }

    /// Takes the waiter for `id` out, to be answered; `nil` when nobody waits for it
    /// (a `memory` record, or one answered already).
    mutating func remove(_ id: UInt64) -> Waiter? {
        guard let waiter = waiting.removeValue(forKey: id) else { return nil }
        pendingBytes -= waiter.size
        return waiter
    }

    /// Takes out every waiter whose deadline is at or before `now`.
    mutating func removeExpired(now: Instant) -> [(id: UInt64, waiter: Waiter)] {
        var expired: [(id: UInt64, waiter: Waiter)] = []
        while let first = deadlines.first, first.at <= now {
            deadlines.removeFirst()
            if let waiter = remove(first.id) { expired.append((first.id, waiter)) }
        }
        return expired
    }

    /// Takes out every waiter, for shutdown's last word.
    mutating func removeAll() -> [(id: UInt64, waiter: Waiter)] {
        defer {
            waiting.removeAll()
            deadlines.removeAll()
            pendingBytes = 0
        }
        return waiting.map { ($0.key, $0.value) }
    }
}
