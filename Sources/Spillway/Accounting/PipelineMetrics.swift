import Metrics

/// swift-metrics handles for the pipeline. Counters are fed from ledger deltas
/// once a second, so the hand-over path never touches a metrics backend.
final class PipelineMetrics: Sendable {
    let deliveryLatency = Metrics.Timer(label: MetricCatalog.deliveryLatency.name, preferredDisplayUnit: .seconds)
    let breakerState = Gauge(label: MetricCatalog.breakerState.name)
    let breakerMode = Gauge(label: MetricCatalog.breakerMode.name)
    let replayRate = Gauge(label: MetricCatalog.replayRate.name)
    /// How long callers of `send(…, ack:)` waited for their answer, by level.
    let ackWaitSpool = Metrics.Timer(label: MetricCatalog.ackWait.name, dimensions: [("level", "spool")], preferredDisplayUnit: .seconds)
    let ackWaitKafka = Metrics.Timer(label: MetricCatalog.ackWait.name, dimensions: [("level", "kafka")], preferredDisplayUnit: .seconds)

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
        Counter(label: MetricCatalog.breakerTransitions.name, dimensions: [("kind", kind)]).increment()
    }

    func kafkaError(_ name: String) {
        Counter(label: MetricCatalog.kafkaErrors.name, dimensions: [("code", name)]).increment()
    }
}
