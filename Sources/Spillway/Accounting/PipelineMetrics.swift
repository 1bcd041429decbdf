import Metrics

/// swift-metrics handles for the pipeline. Counters are fed from ledger deltas
/// once a second, so the hand-over path never touches a metrics backend.
final class PipelineMetrics: Sendable {
    let deliveryLatency = Metrics.Timer(label: "spillway_delivery_latency_seconds", preferredDisplayUnit: .seconds)
    let breakerState = Gauge(label: "spillway_breaker_state")
    let breakerMode = Gauge(label: "spillway_breaker_mode")
    let replayRate = Gauge(label: "spillway_replay_rate_records_per_second")
    /// How long callers of `send(…, ack:)` waited for their answer, by level.
    let ackWaitSpool = Metrics.Timer(label: "spillway_ack_wait_seconds", dimensions: [("level", "spool")], preferredDisplayUnit: .seconds)
    let ackWaitKafka = Metrics.Timer(label: "spillway_ack_wait_seconds", dimensions: [("level", "kafka")], preferredDisplayUnit: .seconds)

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
        Counter(label: "spillway_breaker_transitions_total", dimensions: [("kind", kind)]).increment()
    }

    func kafkaError(_ name: String) {
        Counter(label: "spillway_kafka_errors_total", dimensions: [("code", name)]).increment()
    }
}
