/// Logs a recurring problem at once, then at most once per `interval` with the
/// number of times it recurred meanwhile. A failing disk must not flood the
/// log: a log that cannot keep up blocks whoever writes to it.
package struct RepeatedLog {
    package let interval: Duration
    private var last: [String: (at: ContinuousClock.Instant, suppressed: Int)] = [:]

    package init(interval: Duration = .seconds(10)) {
        self.interval = interval
    }

    /// Calls `emit` with how many occurrences were held back since the last line, or not at all.
    package mutating func occurred(_ key: String, at now: ContinuousClock.Instant = .now, _ emit: (_ suppressed: Int) -> Void) {
        if let previous = last[key], now - previous.at < interval {
            last[key]?.suppressed += 1
            return
        }
        emit(last[key]?.suppressed ?? 0)
        last[key] = (now, 0)
    }
}
