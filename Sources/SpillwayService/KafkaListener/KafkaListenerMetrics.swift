import Metrics
import Spillway

/// The listener's own metrics, named in `MetricCatalog`.
enum KafkaListenerMetrics {
    static func request(api: String, version: Int16) {
        Counter(label: MetricCatalog.kafkaListenerRequests.name, dimensions: [("api", api), ("version", "\(version)")]).increment()
    }

    static func connections(_ count: Int) {
        Gauge(label: MetricCatalog.kafkaListenerConnections.name).record(count)
    }
}
