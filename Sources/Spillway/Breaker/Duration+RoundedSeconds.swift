extension Duration {
    /// `4.7 s`: for log lines and reasons a person reads, not `4.664898841067714 seconds`.
    var roundedSeconds: String {
        let (seconds, attoseconds) = components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return value < 10 ? "\((value * 10).rounded() / 10) s" : "\(Int(value.rounded())) s"
    }
}
