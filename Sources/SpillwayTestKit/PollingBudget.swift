/// A test's timeout counted in the time its task was running, not in the time it
/// waited for a thread. Each `spend()` adds the time since the last one, but at
/// most `longestStep`: on a 2-core machine Swift's cooperative pool has two
/// threads, and two CPU-bound synchronous tests elsewhere in the process can hold
/// both for half a minute. A wall-clock timeout spent meanwhile failed tests whose
/// pipeline could not even start (its loops start from a task on that pool).
/// With this, such a stall costs one step; a pipeline that is really stuck still
/// times out after about `limit` of polling.
package struct PollingBudget: Sendable {
    package let limit: Duration
    /// The most one interval between polls counts for.
    package static let longestStep = Duration.milliseconds(250)

    private var spent = Duration.zero
    private var last = ContinuousClock.now
    private let started = ContinuousClock.now

    package init(_ limit: Duration) {
        self.limit = limit
    }

    /// Counts the time since the last call (capped); `false` once the budget is spent.
    package mutating func spend() -> Bool {
        let now = ContinuousClock.now
        spent += min(now - last, Self.longestStep)
        last = now
        return spent < limit
    }

    /// For messages: the budget and the wall-clock time it took.
    package var description: String {
        let wall = ContinuousClock.now - started
        return wall > limit + .seconds(1) ? "\(limit) of polling (\(wall) on the clock: the test waited for a thread meanwhile)" : "\(limit)"
    }
}
