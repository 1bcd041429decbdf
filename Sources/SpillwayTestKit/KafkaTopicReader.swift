import CRDKafka
import Foundation

/// A record read back from Kafka.
package struct ConsumedRecord: Sendable, Hashable {
    package var partition: Int32
    package var offset: Int64
    package var key: [UInt8]?
    package var value: [UInt8]
    package var headers: [String: [UInt8]]
}

/// Reads a whole topic from the beginning with an independent librdkafka
/// consumer: what actually reached the cluster, not what Spillway believes.
package enum KafkaTopicReader {
    package static func readAll(bootstrapServers: String, topic: String, timeout: Duration = .seconds(20)) throws -> [ConsumedRecord] {
        let conf = rd_kafka_conf_new()
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in [
            ("bootstrap.servers", bootstrapServers), ("group.id", "spillway-test-reader"),
            ("enable.auto.commit", "false"), ("enable.partition.eof", "true"), ("log_level", "0"),
        ] {
            rd_kafka_conf_set(conf, key, value, &errorText, errorText.count)
        }
        guard let consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw MockKafkaError("cannot create a consumer")
        }
        defer {
            rd_kafka_consumer_close(consumer)
            rd_kafka_destroy(consumer)
        }
        let partitions = try partitionCount(consumer, topic: topic)
        let list = rd_kafka_topic_partition_list_new(partitions)
        for partition in 0..<partitions {
            rd_kafka_topic_partition_list_add(list, topic, partition)?.pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
        }
        rd_kafka_assign(consumer, list)
        rd_kafka_topic_partition_list_destroy(list)

        var records: [ConsumedRecord] = []
        var finished = Set<Int32>()
        let deadline = ContinuousClock.now + timeout
        while finished.count < partitions {
            guard ContinuousClock.now < deadline else {
                throw MockKafkaError("reading \(topic) timed out after \(records.count) records")
            }
            guard let message = rd_kafka_consumer_poll(consumer, 100) else { continue }
            defer { rd_kafka_message_destroy(message) }
            let m = message.pointee
            if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                finished.insert(m.partition)
                continue
            }
            guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            var headers: [String: [UInt8]] = [:]
            var list: OpaquePointer?
            if rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
                var index = 0
                var name: UnsafePointer<CChar>?
                var value: UnsafeRawPointer?
                var size = 0
                while rd_kafka_header_get_all(list, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                    if let name { headers[String(cString: name)] = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? [] }
                    index += 1
                }
            }
            records.append(ConsumedRecord(
                partition: m.partition,
                offset: m.offset,
                key: m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) },
                value: m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? [],
                headers: headers
            ))
        }
        return records
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
