/// The Kafka APIs Spillway answers: enough for a producer to bootstrap
/// (ApiVersions, Metadata), get an idempotent producer id and send records.
package enum KafkaAPIKey: Int16, Sendable, CaseIterable {
    case produce = 0
    case metadata = 3
    case apiVersions = 18
    case initProducerID = 22

    /// The first version whose messages use compact encodings and tagged fields
    /// (KIP-482); the request header is v2 and the response header v1 from there,
    /// except ApiVersions, whose response header stays v0 (KIP-511).
    var firstFlexibleVersion: Int16 {
        switch self {
        case .produce: 9
        case .metadata: 9
        case .apiVersions: 3
        case .initProducerID: 2
        }
    }

    /// The name Kafka's documentation uses, for log lines.
    var name: String {
        switch self {
        case .produce: "Produce"
        case .metadata: "Metadata"
        case .apiVersions: "ApiVersions"
        case .initProducerID: "InitProducerId"
        }
    }
}
