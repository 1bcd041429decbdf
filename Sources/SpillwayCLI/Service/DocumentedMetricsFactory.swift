import Metrics
import Prometheus
import Spillway

/// swift-prometheus's factory, with each metric's `# HELP` line: swift-metrics
/// has no place for a description, so every metric is registered through the
/// registry with a `MetricNameDescriptor` carrying the text from `MetricCatalog`.
/// Buckets and destruction are the Prometheus factory's own.
struct DocumentedMetricsFactory: MetricsFactory {
    let prometheus: PrometheusMetricsFactory
    var registry: PrometheusCollectorRegistry { prometheus.registry }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: Self.describe(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: Self.describe(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: Self.describe(label), labels: dimensions) }
        let buckets = prometheus.valueHistogramBuckets[label] ?? prometheus.defaultValueHistogramBuckets
        return registry.makeValueHistogram(descriptor: Self.describe(label), labels: dimensions, buckets: buckets)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: Self.describe(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let buckets = prometheus.durationHistogramBuckets[label] ?? prometheus.defaultDurationHistogramBuckets
        return registry.makeDurationHistogram(descriptor: Self.describe(label), labels: dimensions, buckets: buckets)
    }

    /// The metric's name as swift-metrics gave it (the unit is already part of it), with its help text;
    /// a metric missing from the catalog still gets a line, naming the gap.
    static func describe(_ label: String) -> MetricNameDescriptor {
        let help = MetricCatalog.named(label)?.help ?? "\(label) (no description in MetricCatalog yet)"
        return MetricNameDescriptor(metricName: label, unitName: "", helpText: help)
    }

    func destroyCounter(_ handler: any CounterHandler) { prometheus.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { prometheus.destroyFloatingPointCounter(handler) }
    func destroyRecorder(_ handler: any RecorderHandler) { prometheus.destroyRecorder(handler) }
    func destroyMeter(_ handler: any MeterHandler) { prometheus.destroyMeter(handler) }
    func destroyTimer(_ handler: any TimerHandler) { prometheus.destroyTimer(handler) }
}
