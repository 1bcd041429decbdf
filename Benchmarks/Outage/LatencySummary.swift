/// Percentiles of a set of latencies in milliseconds.
struct LatencySummary: Sendable {
    let count: Int
    let p50: Int64
    let p99: Int64
    let max: Int64

    init?(_ values: [Int64]) {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        count = sorted.count
        p50 = sorted[(sorted.count - 1) / 2]
        p99 = sorted[Swift.max(0, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]
        max = sorted[sorted.count - 1]
    }
}
