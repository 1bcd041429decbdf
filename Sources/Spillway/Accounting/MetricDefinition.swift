/// One metric as `MetricCatalog` writes it down: what the emitter names it, what
/// Prometheus calls its type, what `# HELP` says, and the histogram's buckets.
package struct MetricDefinition: Sendable, Hashable {
    /// The Prometheus type the swift-metrics handle becomes: `Counter` is a
    /// counter, `Gauge` a gauge, `Timer` a histogram.
    package enum Kind: String, Sendable, Hashable {
        case counter
        case gauge
        case histogram
    }

    /// The full name, unit included, as it appears on `GET /metrics`.
    package let name: String
    package let kind: Kind
    /// The `# HELP` line: what it counts, for a dashboard author.
    package let help: String
    /// Upper bounds of a histogram's buckets; empty for the factory's defaults (and for non-histograms).
    package let buckets: [Duration]

    init(name: String, kind: Kind, help: String, buckets: [Duration] = []) {
        self.name = name
        self.kind = kind
        self.help = help
        self.buckets = buckets
    }
}
