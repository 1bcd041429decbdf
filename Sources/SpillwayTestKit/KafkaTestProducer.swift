import CRDKafka
import Foundation

/// A record for `KafkaTestProducer`: every field a Kafka producer can set.
package struct ProducedRecord: Sendable, Hashable {
    package var key: [UInt8]?
    /// `nil`: Kafka's NULL value (a tombstone).
    package var value: [UInt8]?
    /// In order; names may repeat. A `nil` value is a NULL header value.
    package var headers: [(name: String, value: [UInt8]?)]
    /// Milliseconds since 1970; `nil`: the producer stamps it.
    package var timestamp: Int64?
    package var partition: Int32?

    package init(key: [UInt8]? = nil, value: [UInt8]?, headers: [(name: String, value: [UInt8]?)] = [], timestamp: Int64? = nil, partition: Int32? = nil) {
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
        self.partition = partition
    }

    package static func == (lhs: ProducedRecord, rhs: ProducedRecord) -> Bool {
        lhs.key == rhs.key && lhs.value == rhs.value && lhs.timestamp == rhs.timestamp && lhs.partition == rhs.partition
            && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(key)
        hasher.combine(value)
    }
}

/// What the producer was told about one record.
package struct ProducerReport: Sendable, Equatable {
    /// librdkafka's error name (`REQUEST_TIMED_OUT`, …), `nil` on success.
    package var error: String?
    package var partition: Int32
    package var offset: Int64
    /// From the produce call to the delivery report, as librdkafka measured it (microseconds).
    package var latencyMicroseconds: Int64 = -1
}

/// A plain librdkafka producer, as an application would run one, pointed at any
/// Kafka-protocol address (Spillway's Kafka listener in tests): the client side
/// of the protocol, independent of the code under test. Blocking: call it off
/// the cooperative pool (`produce(_:to:)` does).
package final class KafkaTestProducer {
    private let handle: OpaquePointer
    private let queue: OpaquePointer

    /// - Parameter properties: librdkafka producer properties (`compression.codec`, `acks`, `enable.idempotence`, …).
    package init(bootstrapServers: String, properties: [String: String] = [:]) throws {
        let conf = rd_kafka_conf_new()
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in [("bootstrap.servers", bootstrapServers), ("log_level", "0"), ("linger.ms", "5")] + properties.sorted(by: { $0.key < $1.key }) {
            guard rd_kafka_conf_set(conf, key, value, &errorText, errorText.count) == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                throw MockKafkaError("producer property \(key)=\(value): \(Self.text(errorText))")
            }
        }
        rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_DR)
        guard let handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw MockKafkaError("cannot create a producer: \(Self.text(errorText))")
        }
        self.handle = handle
        queue = rd_kafka_queue_get_main(handle)
    }

    deinit {
        rd_kafka_queue_destroy(queue)
        rd_kafka_destroy(handle)
    }

    /// Sends `records` to `topic` and waits, up to `timeout`, for every delivery report, in order.
    /// A full local queue is waited out (as an application's retry loop would), not reported.
    package func produceAll(_ records: [ProducedRecord], to topic: String, timeout: Duration = .seconds(60)) throws -> [ProducerReport] {
        var reports = [ProducerReport?](repeating: nil, count: records.count)
        for (index, record) in records.enumerated() {
            var code = send(record, to: topic, opaque: index + 1)
            while code == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                drain(into: &reports, milliseconds: 10)
                code = send(record, to: topic, opaque: index + 1)
            }
            if code != RD_KAFKA_RESP_ERR_NO_ERROR {
                reports[index] = ProducerReport(error: String(cString: rd_kafka_err2name(code)), partition: -1, offset: -1)
            }
        }
        let deadline = ContinuousClock.now + timeout
        // The last record's report comes last, nearly always: look at all only then.
        while (reports.last.map { $0 == nil } ?? false) || reports.contains(where: { $0 == nil }) {
            guard ContinuousClock.now < deadline else {
                throw MockKafkaError("\(reports.filter { $0 == nil }.count) of \(records.count) delivery reports missing after \(timeout)")
            }
            drain(into: &reports, milliseconds: 100)
        }
        return reports.map { $0! }
    }

    /// Reads the delivery reports that arrive within `milliseconds` into `reports`.
    private func drain(into reports: inout [ProducerReport?], milliseconds: Int32) {
        var timeout = milliseconds
        while let event = rd_kafka_queue_poll(queue, timeout) {
            timeout = 0
            defer { rd_kafka_event_destroy(event) }
            guard rd_kafka_event_type(event) == RD_KAFKA_EVENT_DR else { continue }
            while let message = rd_kafka_event_message_next(event) {
                let index = Int(bitPattern: message.pointee._private) - 1
                let code = message.pointee.err
                reports[index] = ProducerReport(
                    error: code == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : String(cString: rd_kafka_err2name(code)),
                    partition: message.pointee.partition, offset: message.pointee.offset,
                    latencyMicroseconds: rd_kafka_message_latency(message)
                )
            }
        }
    }

    /// `produceAll` on a thread of its own, for async tests.
    package static func produce(
        _ records: [ProducedRecord], to topic: String, bootstrapServers: String, properties: [String: String] = [:], timeout: Duration = .seconds(60)
    ) async throws -> [ProducerReport] {
        try await offThePool {
            let producer = try KafkaTestProducer(bootstrapServers: bootstrapServers, properties: properties)
            return try producer.produceAll(records, to: topic, timeout: timeout)
        }
    }

    private func send(_ record: ProducedRecord, to topic: String, opaque: Int) -> rd_kafka_resp_err_t {
        var headers: OpaquePointer?
        if !record.headers.isEmpty {
            let list = rd_kafka_headers_new(record.headers.count)
            for header in record.headers {
                // A nil pointer is a NULL value; an empty one needs a pointer all the same.
                Self.withBytes(header.value) { value in
                    _ = rd_kafka_header_add(list, header.name, header.name.utf8.count, value.map { $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)! }, value?.count ?? 0)
                }
            }
            headers = list
        }
        let error: OpaquePointer? = topic.withCString { topicName in
            Self.withBytes(record.value) { value in
                Self.withBytes(record.key) { key in
                    withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 8) { fields in
                        var count = 0
                        func add(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
                            fields.initializeElement(at: count, to: rd_kafka_vu_t())
                            fields[count].vtype = type
                            fill(&fields[count])
                            count += 1
                        }
                        add(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = topicName }
                        add(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = record.partition ?? RD_KAFKA_PARTITION_UA }
                        add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
                        // A non-nil pointer for an empty value: librdkafka sends NULL (not empty) for a nil one.
                        add(RD_KAFKA_VTYPE_VALUE) {
                            $0.u.mem.ptr = value.map { UnsafeMutableRawPointer(mutating: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!) }
                            $0.u.mem.size = value?.count ?? 0
                        }
                        if let key {
                            add(RD_KAFKA_VTYPE_KEY) {
                                $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress ?? UnsafeRawPointer(bitPattern: 1))
                                $0.u.mem.size = key.count
                            }
                        }
                        if let timestamp = record.timestamp { add(RD_KAFKA_VTYPE_TIMESTAMP) { $0.u.i64 = timestamp } }
                        if let headers { add(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = headers } }
                        add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = UnsafeMutableRawPointer(bitPattern: opaque) }
                        return rd_kafka_produceva(handle, fields.baseAddress, count)
                    }
                }
            }
        }
        guard let error else { return RD_KAFKA_RESP_ERR_NO_ERROR }
        defer { rd_kafka_error_destroy(error) }
        if let headers { rd_kafka_headers_destroy(headers) }
        return rd_kafka_error_code(error)
    }

    private static func withBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        guard let bytes else { return body(nil) }
        return bytes.withUnsafeBytes { body($0) }
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
