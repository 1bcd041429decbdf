import CRDKafka
import Foundation

/// librdkafka's in-process mock cluster: a real Kafka-protocol broker with
/// fault injection (brokers down and up, round-trip delay, pushed errors).
///
/// `@unchecked Sendable`: the handles are set in `init` and freed in `deinit`;
/// librdkafka's mock API is thread-safe.
package final class MockKafkaCluster: @unchecked Sendable {
    private let host: OpaquePointer
    private let cluster: OpaquePointer
    package let brokerCount: Int32
    /// `host:port,…` for clients.
    package let bootstrapServers: String

    /// Kafka's Produce request, the API key for pushed errors.
    package static let produceAPIKey: Int16 = 0

    package init(brokers: Int32 = 1) throws {
        let conf = rd_kafka_conf_new()
        var errorText = [CChar](repeating: 0, count: 512)
        rd_kafka_conf_set(conf, "log_level", "0", &errorText, errorText.count)
        guard let host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw MockKafkaError("cannot create the mock cluster's host handle")
        }
        guard let cluster = rd_kafka_mock_cluster_new(host, Int32(brokers)) else {
            rd_kafka_destroy(host)
            throw MockKafkaError("cannot create a mock cluster")
        }
        self.host = host
        self.cluster = cluster
        self.brokerCount = brokers
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        // The cluster must go before the handle that hosts it.
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(host)
    }

    /// Brokers stop answering and refuse connections: `broker` alone, or all when `nil`.
    package func setBrokersDown(_ broker: Int32? = nil) {
        for id in brokers(broker) { rd_kafka_mock_broker_set_down(cluster, id) }
    }

    package func setBrokersUp(_ broker: Int32? = nil) {
        for id in brokers(broker) { rd_kafka_mock_broker_set_up(cluster, id) }
    }

    /// Delays responses by `milliseconds` (the hung-cluster rehearsal): `broker` alone, or all.
    package func setRoundTripTime(milliseconds: Int32, broker: Int32? = nil) {
        for id in brokers(broker) { rd_kafka_mock_broker_set_rtt(cluster, id, milliseconds) }
    }

    private func brokers(_ broker: Int32?) -> ClosedRange<Int32> {
        broker.map { $0...$0 } ?? 1...brokerCount
    }

    /// The next `count` Produce requests fail with `code`.
    package func pushProduceErrors(_ code: rd_kafka_resp_err_t, count: Int) {
        let errors = [rd_kafka_resp_err_t](repeating: code, count: count)
        rd_kafka_mock_push_request_errors_array(cluster, Self.produceAPIKey, count, errors)
    }

    package func clearProduceErrors() {
        rd_kafka_mock_clear_request_errors(cluster, Self.produceAPIKey)
    }

    /// Creates a topic before any client touches it (auto-created ones get 4 partitions).
    package func createTopic(_ name: String, partitions: Int32 = 1) throws {
        let code = rd_kafka_mock_topic_create(cluster, name, partitions, 1)
        // A topic that is there already is there: a second pipeline on the same cluster finds it.
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR || code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS else {
            throw MockKafkaError("cannot create topic \(name): \(String(cString: rd_kafka_err2str(code)))")
        }
    }
}

package struct MockKafkaError: Error, CustomStringConvertible {
    package let description: String

    package init(_ description: String) {
        self.description = description
    }
}

extension MockKafkaCluster {
    /// A Kafka error code from its name (`NOT_ENOUGH_REPLICAS`, `MSG_SIZE_TOO_LARGE`, `_TRANSPORT`) or number.
    package static func errorCode(_ text: String) -> rd_kafka_resp_err_t? {
        if let number = Int32(text) { return rd_kafka_resp_err_t(rawValue: number) }
        let wanted = text.uppercased().replacingOccurrences(of: "RD_KAFKA_RESP_ERR_", with: "")
        for raw in Int32(-200)...Int32(120) {
            let code = rd_kafka_resp_err_t(rawValue: raw)
            if String(cString: rd_kafka_err2name(code)) == wanted { return code }
        }
        return nil
    }

    /// A per-record error (Kafka's MSG_SIZE_TOO_LARGE), for dead-letter tests.
    package static let messageSizeTooLarge = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE
    /// A cluster-wide, retriable error (NOT_ENOUGH_REPLICAS).
    package static let notEnoughReplicas = RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS
}
