/// One record header. Keys must be UTF-8 (Kafka's clients write them from
/// strings; Spillway refuses other bytes rather than rewrite them); values are
/// opaque and may be null.
package struct KafkaRecordHeader: Sendable, Hashable {
    package var key: String
    package var value: [UInt8]?

    package init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}
