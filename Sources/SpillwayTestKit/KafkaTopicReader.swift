import Foundation

/// A record read back from Kafka.
package struct ConsumedRecord: Sendable, Hashable {
    package var partition: Int32
    package var offset: Int64
    package var key: [UInt8]?
    /// `nil`: Kafka's NULL value (a tombstone), not an empty one.
    package var value: [UInt8]?
    /// A `nil` value is a NULL header value.
    package var headers: [String: [UInt8]?]
    /// Milliseconds since 1970 as the broker returned it, `nil` when it gave none.
    package var timestamp: Int64? = nil
}

/// Reads a whole topic from the beginning with an independent librdkafka
/// consumer: what actually reached the cluster, not what Spillway believes.
package enum KafkaTopicReader {
    /// `readAll` on a thread of its own, for async tests: the read blocks for up
    /// to `timeout`, which must never hold a thread of Swift's cooperative pool.
    package static func read(bootstrapServers: String, topic: String, timeout: Duration = .seconds(20)) async throws -> [ConsumedRecord] {
        try await offThePool { try readAll(bootstrapServers: bootstrapServers, topic: topic, timeout: timeout) }
    }

    /// Every record of `topic`, blocking the calling thread. Throws when the broker no longer holds some of
    /// them (retention), instead of quietly returning fewer.
    package static func readAll(bootstrapServers: String, topic: String, timeout: Duration = .seconds(20)) throws -> [ConsumedRecord] {
        let consumer = try TopicConsumer(bootstrapServers: bootstrapServers, topic: topic)
        var records: [ConsumedRecord] = []
        var finished = Set<Int32>()
        let deadline = ContinuousClock.now + timeout
        while finished.count < consumer.partitionCount {
            guard ContinuousClock.now < deadline else {
                throw MockKafkaError("reading \(topic) timed out after \(records.count) records")
            }
            switch consumer.poll(milliseconds: 100) {
            case let .record(record): records.append(record)
            case let .endOfPartition(partition): finished.insert(partition)
            case .nothing: continue
            }
        }
        guard consumer.missed == 0 else {
            throw MockKafkaError("\(consumer.missed) records of \(topic) were gone before they could be read (the broker's retention dropped them)")
        }
        return records
    }
}
