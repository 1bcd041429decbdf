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

    /// The supported range of `key`.
    static func range(of key: KafkaAPIKey) -> ClosedRange<Int16> {
        for entry in all where entry.key == key { return entry.min...entry.max }
        preconditionFailure("\(key) is missing from KafkaSupportedAPIs.all")
    }
}
