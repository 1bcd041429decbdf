import CRDKafka
import Foundation
import SpillwaySpool

/// The one owner of the librdkafka producer handle. Delivery reports are read
/// from librdkafka's main event queue (no C callbacks); records are sent with
/// `rd_kafka_produceva`, carrying Spillway's id in the opaque field.
///
/// `@unchecked Sendable`: the handle and queue are set once in `init` and freed
/// in `deinit`; librdkafka makes produce, poll, purge, metadata and yield safe
/// from any thread. The delivery loop's thread is the only caller of `produce` and `poll`.
package final class RDKafkaClient: @unchecked Sendable {
    private let handle: OpaquePointer
    private let queue: OpaquePointer

    /// Builds the producer; librdkafka's message queue is capped at `maxMessages`/`maxBytes`.
    package init(_ configuration: KafkaConfiguration, maxMessages: Int, maxBytes: Int) throws(SpillwayConfigurationError) {
        let conf = try RDKafkaConfig.make(configuration, maxMessages: maxMessages, maxBytes: maxBytes)
        var errorText = [CChar](repeating: 0, count: 512)
        // librdkafka's log lines join the event queue instead of going to standard error.
        rd_kafka_conf_set(conf, "log.queue", "true", &errorText, errorText.count)
        rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR | RD_KAFKA_EVENT_LOG)
        guard let handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errorText, errorText.count) else {
            // librdkafka takes the configuration only on success.
            rd_kafka_conf_destroy(conf)
            throw SpillwayConfigurationError("cannot create the Kafka producer: \(configuration.maskingSecrets(in: RDKafkaConfig.text(errorText)))")
        }
        self.handle = handle
        self.queue = rd_kafka_queue_get_main(handle)
        // nil: the main queue, which `poll` reads.
        rd_kafka_set_log_queue(handle, nil)
    }

    deinit {
        rd_kafka_queue_destroy(queue)
        rd_kafka_destroy(handle)
    }

    /// Hands one record to librdkafka, copying its bytes, with `extraHeader`
    /// after its own headers. Never blocks.
    package func produce(_ record: Record, opaque: UInt, extraHeader: RecordHeader? = nil) -> ProduceResult {
        var headers: OpaquePointer?
        if !record.headers.isEmpty || extraHeader != nil {
            // VTYPE_HEADERS with our own list: inline VTYPE_HEADER double-frees on failure in 2.0.2 (librdkafka #4627).
            let list = rd_kafka_headers_new(record.headers.count + 1)
            func add(_ header: RecordHeader) {
                withOptionalBytes(header.value) { value in
                    // The name's real length: a name holding NUL is not cut short. A nil
                    // pointer is a NULL value; an empty one needs a pointer all the same.
                    _ = rd_kafka_header_add(list, header.name, header.name.utf8.count, Self.address(of: value), value?.count ?? 0)
                }
            }
            record.headers.forEach(add)
            extraHeader.map(add)
            headers = list
        }
        let error: OpaquePointer? = record.topic.withCString { topic in
            withOptionalBytes(record.value) { value in
                withOptionalBytes(record.key) { key in
                    withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 8) { fields in
                    var count = 0
                    func add(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
                        fields.initializeElement(at: count, to: rd_kafka_vu_t())
                        fields[count].vtype = type
                        fill(&fields[count])
                        count += 1
                    }
                    add(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = topic }
                    add(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = record.partition ?? RD_KAFKA_PARTITION_UA }
                    add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
                    // librdkafka sends a nil pointer as NULL (a tombstone) and any other as
                    // the bytes there, so an empty value gets a pointer even when Swift has none.
                    add(RD_KAFKA_VTYPE_VALUE) {
                        $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: Self.address(of: value))
                        $0.u.mem.size = value?.count ?? 0
                    }
                    if let key {
                        add(RD_KAFKA_VTYPE_KEY) {
                            $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: Self.address(of: key))
                            $0.u.mem.size = key.count
                        }
                    }
                    add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = UnsafeMutableRawPointer(bitPattern: opaque) }
                    add(RD_KAFKA_VTYPE_TIMESTAMP) { $0.u.i64 = record.timestamp }
                    if let headers {
                        add(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = headers }
                    }
                    return rd_kafka_produceva(handle, fields.baseAddress, count)
                    }
                }
            }
        }
        guard let error else { return .enqueued }
        let code = rd_kafka_error_code(error)
        rd_kafka_error_destroy(error)
        // On failure the header list is still ours.
        if let headers { rd_kafka_headers_destroy(headers) }
        return code == RD_KAFKA_RESP_ERR__QUEUE_FULL ? .queueFull : .failed(KafkaError(code))
    }

    /// Where librdkafka reads `bytes` from: `nil` for none (Kafka's NULL), and for
    /// empty bytes a valid address even when Swift gives none (an empty array's
    /// buffer may have a nil base address), so empty is never sent as NULL.
    @inline(__always)
    static func address(of bytes: UnsafeRawBufferPointer?) -> UnsafeRawPointer? {
        guard let bytes else { return nil }
        return bytes.baseAddress ?? UnsafeRawPointer(emptyBytes.utf8Start)
    }

    /// A valid address for empty bytes, in the binary's constant data: librdkafka
    /// copies none from it, and an empty value costs no allocation.
    private static let emptyBytes: StaticString = ""

    /// Waits up to `timeoutMilliseconds` for events and hands out delivery reports,
    /// client errors (such as all brokers down) and librdkafka's log lines.
    /// Returns how many events were handled.
    @discardableResult
    package func poll(
        timeoutMilliseconds: Int32,
        maxEvents: Int = 100,
        reports: (DeliveryReport) -> Void,
        errors: (KafkaError, String) -> Void,
        logs: (KafkaLogLine) -> Void
    ) -> Int {
        var handled = 0
        var timeout = timeoutMilliseconds
        while handled < maxEvents, let event = rd_kafka_queue_poll(queue, timeout) {
            defer { rd_kafka_event_destroy(event) }
            handled += 1
            timeout = 0
            switch rd_kafka_event_type(event) {
            case RD_KAFKA_EVENT_DR:
                while let message = rd_kafka_event_message_next(event) {
                    let code = message.pointee.err
                    let failed = code != RD_KAFKA_RESP_ERR_NO_ERROR
                    reports(DeliveryReport(
                        opaque: UInt(bitPattern: message.pointee._private),
                        error: failed ? KafkaError(code) : nil,
                        possiblyPersisted: failed && rd_kafka_message_status(message) == RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED,
                        partition: message.pointee.partition,
                        offset: message.pointee.offset
                    ))
                }
            case RD_KAFKA_EVENT_ERROR:
                let code = rd_kafka_event_error(event)
                errors(KafkaError(code), String(cString: rd_kafka_event_error_string(event)))
            case RD_KAFKA_EVENT_LOG:
                var facility: UnsafePointer<CChar>?
                var message: UnsafePointer<CChar>?
                var level: Int32 = 7
                if rd_kafka_event_log(event, &facility, &message, &level) == 0 {
                    logs(KafkaLogLine(
                        syslogLevel: level,
                        facility: facility.map { String(cString: $0) } ?? "",
                        message: message.map { String(cString: $0) } ?? ""
                    ))
                }
            default:
                break
            }
        }
        return handled
    }

    /// Wakes a `poll` that is waiting, so new work is picked up at once.
    func wakeUp() {
        rd_kafka_queue_yield(queue)
    }

    /// Takes back the records librdkafka has not sent yet; they come back as
    /// delivery reports with a purge error. With `inFlightToo`, also those whose
    /// requests are on the wire (at shutdown): the broker may have stored them, so
    /// they come back possibly persisted. Without it, those finish or time out on
    /// their own, which is what keeps a breaker opening from duplicating them.
    package func purge(inFlightToo: Bool = false) {
        let flags = RD_KAFKA_PURGE_F_QUEUE | (inFlightToo ? RD_KAFKA_PURGE_F_INFLIGHT : 0) | RD_KAFKA_PURGE_F_NON_BLOCKING
        rd_kafka_purge(handle, Int32(flags))
    }

    /// Asks the cluster for metadata. Blocks up to `timeout`; call it off the delivery loop's thread.
    func probe(timeout: Duration) -> Result<String, ProbeFailure> {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let code = rd_kafka_metadata(handle, 0, nil, &metadata, Int32(timeout.milliseconds))
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            return .failure(ProbeFailure(description: describe(code)))
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        let brokers = Int(metadata.pointee.broker_cnt)
        guard brokers > 0 else { return .failure(ProbeFailure(description: "the cluster reported no brokers")) }
        return .success("metadata from \(brokers) broker\(brokers == 1 ? "" : "s")")
    }

    /// What the cluster says of one topic: its partition count, that it does not
    /// exist, or why it could not be asked. Blocks up to `timeout`: call it from
    /// a thread of its own, never from the delivery loop or an event loop.
    func lookUpTopic(_ topic: String, timeout: Duration) -> UpstreamTopic {
        guard let topicHandle = rd_kafka_topic_new(handle, topic, nil) else {
            return .unanswered(describe(rd_kafka_last_error()))
        }
        defer { rd_kafka_topic_destroy(topicHandle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let code = rd_kafka_metadata(handle, 0, topicHandle, &metadata, Int32(timeout.milliseconds))
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { return .unanswered(describe(code)) }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0, let entry = metadata.pointee.topics?.pointee else {
            return .unanswered("the cluster's answer named no topic")
        }
        switch entry.err {
        case RD_KAFKA_RESP_ERR_NO_ERROR where entry.partition_cnt > 0: return .partitions(entry.partition_cnt)
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART: return .unknown
        case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION: return .invalid(describe(entry.err))
        default: return .notReady(describe(entry.err == RD_KAFKA_RESP_ERR_NO_ERROR ? RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE : entry.err))
        }
    }

    /// When the producer runs its own mock cluster (`test.mock.num.brokers`), its address.
    var mockClusterBootstrapServers: String? {
        guard let cluster = rd_kafka_handle_mock_cluster(handle) else { return nil }
        return String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    /// librdkafka's version, for status pages.
    package static var libraryVersion: String { String(cString: rd_kafka_version_str()) }
}

/// Why a probe said the cluster is not back.
struct ProbeFailure: Error, Sendable, CustomStringConvertible {
    let description: String
}
