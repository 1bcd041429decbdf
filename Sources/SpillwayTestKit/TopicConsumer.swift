import CRDKafka
import Foundation

/// An independent librdkafka consumer assigned to every partition of one topic
/// from its first offset: the one owner of its handle. It notices offset gaps,
/// because a broker with little retention (librdkafka's mock keeps 5 MiB per
/// partition) silently starts a reader at its oldest record otherwise.
package final class TopicConsumer {
    package enum Event {
        case record(ConsumedRecord)
        case endOfPartition(Int32)
        case nothing
    }

    package let topic: String
    package let partitionCount: Int32
    private let handle: OpaquePointer
    /// The offset each partition is expected to deliver next.
    package private(set) var nextOffsets: [Int32: Int64] = [:]
    /// Records the consumer never saw: offsets skipped because the broker no longer had them.
    package private(set) var missed = 0

    /// - Parameter properties: more librdkafka consumer properties, applied last
    ///   (a reader that times arrivals wants short fetch waits and reconnects).
    package init(bootstrapServers: String, topic: String, properties: [String: String] = [:]) throws {
        self.topic = topic
        let conf = rd_kafka_conf_new()
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in [
            ("bootstrap.servers", bootstrapServers), ("group.id", "spillway-test-reader"),
            ("enable.auto.commit", "false"), ("enable.partition.eof", "true"), ("log_level", "0"),
        ] + properties.sorted(by: { $0.key < $1.key }) {
            rd_kafka_conf_set(conf, key, value, &errorText, errorText.count)
        }
        guard let handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw MockKafkaError("cannot create a consumer: \(String(decoding: errorText.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        self.handle = handle
        do {
            partitionCount = try Self.partitionCount(handle, topic: topic)
        } catch {
            rd_kafka_destroy(handle)
            throw error
        }
        let list = rd_kafka_topic_partition_list_new(partitionCount)
        for partition in 0..<partitionCount {
            rd_kafka_topic_partition_list_add(list, topic, partition)?.pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
            nextOffsets[partition] = 0
        }
        rd_kafka_assign(handle, list)
        rd_kafka_topic_partition_list_destroy(list)
    }

    deinit {
        rd_kafka_consumer_close(handle)
        rd_kafka_destroy(handle)
    }

    /// The next event, waiting up to `milliseconds` for one.
    package func poll(milliseconds: Int32) -> Event {
        guard let message = rd_kafka_consumer_poll(handle, milliseconds) else { return .nothing }
        defer { rd_kafka_message_destroy(message) }
        let m = message.pointee
        if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { return .endOfPartition(m.partition) }
        // Transient errors (a broker down, say) are retried by librdkafka itself.
        guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR else { return .nothing }
        let expected = nextOffsets[m.partition] ?? 0
        if m.offset > expected { missed += Int(m.offset - expected) }
        nextOffsets[m.partition] = max(expected, m.offset + 1)
        return .record(ConsumedRecord(
            partition: m.partition,
            offset: m.offset,
            key: m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) },
            value: m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) },
            headers: Self.headers(of: message),
            timestamp: Self.timestamp(of: message)
        ))
    }

    /// Each partition's high watermark as the broker has it now.
    package func highWatermarks(timeout: Duration) throws -> [Int32: Int64] {
        var marks: [Int32: Int64] = [:]
        let milliseconds = Int32(timeout.components.seconds * 1000)
        for partition in 0..<partitionCount {
            var low: Int64 = 0
            var high: Int64 = 0
            let code = rd_kafka_query_watermark_offsets(handle, topic, partition, &low, &high, milliseconds)
            guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw MockKafkaError("cannot read the high watermark of \(topic) [\(partition)]: \(String(cString: rd_kafka_err2str(code)))")
            }
            marks[partition] = high
        }
        return marks
    }

    /// `true` once every partition has been read up to `marks`.
    package func hasReached(_ marks: [Int32: Int64]) -> Bool {
        marks.allSatisfy { partition, mark in (nextOffsets[partition] ?? 0) >= mark }
    }

    private static func timestamp(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> Int64? {
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let value = rd_kafka_message_timestamp(message, &type)
        return type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : value
    }

    private static func headers(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> [String: [UInt8]?] {
        var headers: [String: [UInt8]?] = [:]
        var list: OpaquePointer?
        guard rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return headers }
        var index = 0
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(list, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            // A nil value is a NULL header value: kept as `.some(nil)`, not dropped.
            if let name { headers[String(cString: name)] = .some(value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }) }
            index += 1
        }
        return headers
    }

    private static func partitionCount(_ handle: OpaquePointer, topic: String) throws -> Int32 {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let topicHandle = rd_kafka_topic_new(handle, topic, nil)
            defer { rd_kafka_topic_destroy(topicHandle) }
            if rd_kafka_metadata(handle, 0, topicHandle, &metadata, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata {
                defer { rd_kafka_metadata_destroy(metadata) }
                if metadata.pointee.topic_cnt > 0, metadata.pointee.topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    return Int32(metadata.pointee.topics[0].partition_cnt)
                }
            }
        }
        throw MockKafkaError("no metadata for topic \(topic)")
    }
}
