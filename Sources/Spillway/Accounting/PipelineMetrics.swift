import Metrics

/// swift-metrics handles for the pipeline. Counters are fed from ledger deltas
/// once a second, so the hand-over path never touches a metrics backend.
final class PipelineMetrics: Sendable {
    /// Every series' own labels are followed by these: `cluster` when the buffer is one of several.
    let dimensions: [(String, String)]
    let deliveryLatency: Metrics.Timer
    let breakerState: Gauge
    let breakerMode: Gauge
    let replayRate: Gauge
    /// How long callers of `send(…, ack:)` waited for their answer, by level.
    let ackWaitSpool: Metrics.Timer
    let ackWaitKafka: Metrics.Timer

    init(cluster: String?) {
        let dimensions = cluster.map { [("cluster", $0)] } ?? []
        self.dimensions = dimensions
        deliveryLatency = Metrics.Timer(label: MetricCatalog.deliveryLatency.name, dimensions: dimensions, preferredDisplayUnit: .seconds)
        breakerState = Gauge(label: MetricCatalog.breakerState.name, dimensions: dimensions)
        breakerMode = Gauge(label: MetricCatalog.breakerMode.name, dimensions: dimensions)
        replayRate = Gauge(label: MetricCatalog.replayRate.name, dimensions: dimensions)
        ackWaitSpool = Metrics.Timer(label: MetricCatalog.ackWait.name, dimensions: [("level", "spool")] + dimensions, preferredDisplayUnit: .seconds)
        ackWaitKafka = Metrics.Timer(label: MetricCatalog.ackWait.name, dimensions: [("level", "kafka")] + dimensions, preferredDisplayUnit: .seconds)
    }

    /// Recorded by the caller that waited, after it was answered: never on a pipeline thread.
    func ackWaited(_ level: AckLevel, since start: ContinuousClock.Instant) {
        let waited = (ContinuousClock.now - start).nanoseconds
        switch level {
        case .memory: break
        case .spool: ackWaitSpool.recordNanoseconds(waited)
        case .kafka: ackWaitKafka.recordNanoseconds(waited)
        }
    }

    func transition(_ kind: String) {
        Counter(label: MetricCatalog.breakerTransitions.name, dimensions: [("kind", kind)] + dimensions).increment()
    }

    func kafkaError(_ name: String) {
        Counter(label: MetricCatalog.kafkaErrors.name, dimensions: [("code", name)] + dimensions).increment()
    }
}
