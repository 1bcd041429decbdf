/// The versions Spillway advertises in its ApiVersions response and accepts.
/// One table, so decoding and advertising cannot disagree: a client picks the
/// highest version both sides list, and the decoder refuses anything outside.
package enum KafkaSupportedAPIs {
    /// Key, lowest and highest version, in API key order.
    package static let all: [(key: KafkaAPIKey, min: Int16, max: Int16)] = [
        (.produce, 3, 9),
        (.metadata, 1, 12),
        (.apiVersions, 0, 3),
        (.initProducerID, 0, 4),
    ]

    /// Listed in the ApiVersions answer but never served: librdkafka switches on
    /// record batches v2 (and so idempotence and headers) only when a broker lists
    /// Fetch v4, zstd only with Fetch v10, and lz4 only with FindCoordinator v0.
    /// A producer never sends these; a request for one (a consumer pointed here by
    /// mistake) is refused like any API Spillway does not speak.
    package static let listedForClientFeatures: [(key: Int16, name: String, min: Int16, max: Int16)] = [
        (1, "Fetch", 4, 11),
        (10, "FindCoordinator", 0, 3),
    ]

    /// Every range the ApiVersions answer lists, in API key order.
    static var advertised: [(key: Int16, min: Int16, max: Int16)] {
        (all.map { (key: $0.key.rawValue, min: $0.min, max: $0.max) } + listedForClientFeatures.map { (key: $0.key, min: $0.min, max: $0.max) })
            .sorted { $0.key < $1.key }
    }

    /// The supported range of `key`.
    static func range(of key: KafkaAPIKey) -> ClosedRange<Int16> {
        for entry in all where entry.key == key { return entry.min...entry.max }
        preconditionFailure("\(key) is missing from KafkaSupportedAPIs.all")
    }
}
