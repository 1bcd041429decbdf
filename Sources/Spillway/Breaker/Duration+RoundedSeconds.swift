extension Duration {
    /// Seconds as a floating-point number, for rates and status figures.
    package var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// `4.7 s`: for log lines and reasons a person reads, not `4.664898841067714 seconds`.
    var roundedSeconds: String {
        let value = inSeconds
        return value < 10 ? "\((value * 10).rounded() / 10) s" : "\(Int(value.rounded())) s"
    }
}
