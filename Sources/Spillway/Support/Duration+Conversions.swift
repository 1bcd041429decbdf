/// Every conversion of a `Duration` Spillway needs, in one place: librdkafka
/// speaks milliseconds, histograms nanoseconds, rates and status pages seconds.
extension Duration {
    /// Seconds as a floating-point number, for rates and status figures.
    package var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Whole milliseconds (truncated), for librdkafka's `*.ms` properties and `*_ms` settings.
    package var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    /// Whole nanoseconds (truncated), for latency histograms.
    package var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// `4.7 s`: for log lines and reasons a person reads, not `4.664898841067714 seconds`.
    package var roundedSeconds: String {
        let value = inSeconds
        return value < 10 ? "\((value * 10).rounded() / 10) s" : "\(Int(value.rounded())) s"
    }
}
