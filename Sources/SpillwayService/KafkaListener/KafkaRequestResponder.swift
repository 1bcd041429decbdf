import Logging
import Metrics
import NIOCore
import Spillway
import SpillwayKafkaWire
import SpillwaySpool
import Synchronization

/// Answers Kafka clients' requests on behalf of the pipeline: Spillway is the one
/// broker, the leader of every partition, and its "log" is the pipeline. Shared by
/// every connection; never waits: a Produce request's answer comes through
/// `reply` once its records are answered, from whichever thread answers last.
final class KafkaRequestResponder: Sendable {
    /// The broker id Spillway gives itself in Metadata answers.
    static let nodeID: Int32 = 0
    static let clusterID = "spillway"

    /// Each topic's records, and its partitions in Metadata, are its own cluster's.
    let router: SpillwayRouter
    let settings: ServiceSettings
    let logger: Logger
    let limits: RecordBatchLimits
    /// What the listener's clients wait for at once, against the acknowledgement bounds.
    let flow: ListenerFlowControl
    private let producerIDs = ProducerIDs()
    private let sequences = Mutex(ProducerSequences())
    private let problems = Mutex(RepeatedLog())

    init(router: SpillwayRouter, settings: ServiceSettings, logger: Logger) {
        self.router = router
        self.settings = settings
        self.logger = logger
        flow = ListenerFlowControl(maxPendingRecords: settings.pipeline.ack.maxPendingRecords, maxPendingBytes: settings.pipeline.ack.maxPendingBytes)
        // A record set may not decompress to more than this: a bound on what a
        // small request can make Spillway allocate (a decompression bomb).
        limits = RecordBatchLimits(
            maxDecompressedBytes: min(max(settings.maxBodyBytes * 16, 64 << 20), 1 << 30),
            maxRecordsPerBatch: 1_000_000
        )
    }

    // MARK: ApiVersions, Metadata, InitProducerId

    func apiVersions(_ request: ApiVersionsRequest) -> ApiVersionsResponse {
        if let name = request.clientSoftwareName {
            Counter(
                label: MetricCatalog.kafkaListenerClients.name,
                dimensions: [("software", String(name.prefix(64))), ("version", String((request.clientSoftwareVersion ?? "").prefix(64)))]
            ).increment()
        }
        return ApiVersionsResponse(errorCode: .none, throttleTimeMs: 0)
    }

    /// Spillway as the one broker, at `advertised` (the address the client reached
    /// unless one is configured), with each topic's partition count as the upstream
    /// cluster gave it.
    func metadata(_ request: MetadataRequest, advertised: (host: String, port: Int)) -> MetadataResponse {
        // All topics: each compartment's, those its cluster holds (a topic routed elsewhere is not its).
        let names = request.topics ?? router.compartments.flatMap { cluster, buffer in
            buffer.partitionCatalog.knownCounts.keys.filter { router.buffer(forTopic: $0) === buffer }
        }.sorted()
        let topics = names.map { name in topicMetadata(name, catalog: router.buffer(forTopic: name).partitionCatalog) }
        return MetadataResponse(
            brokers: [MetadataResponse.Broker(nodeID: Self.nodeID, host: settings.kafkaAdvertisedHost ?? advertised.host, port: Int32(advertised.port), rack: nil)],
            clusterID: Self.clusterID, controllerID: Self.nodeID, topics: topics, throttleTimeMs: 0
        )
    }

    private func topicMetadata(_ name: String, catalog: PartitionCatalog) -> MetadataResponse.TopicMetadata {
        func topic(_ code: KafkaErrorCode, partitions count: Int32 = 0) -> MetadataResponse.TopicMetadata {
            MetadataResponse.TopicMetadata(
                errorCode: code, name: name, isInternal: false,
                partitions: (0..<count).map { index in
                    MetadataResponse.PartitionMetadata(
                        errorCode: .none, index: index, leaderID: Self.nodeID, leaderEpoch: 0,
                        replicas: [Self.nodeID], isr: [Self.nodeID], offlineReplicas: []
                    )
                }
            )
        }
        if TopicName.problem(with: name) != nil { return topic(.invalidTopicException) }
        if let allowlist = settings.topicAllowlist, !allowlist.contains(name) { return topic(.topicAuthorizationFailed) }
        switch catalog.answer(for: name) {
        case .partitions(let count): return topic(.none, partitions: count)
        case .unknown: return topic(.unknownTopicOrPartition)
        case .invalid: return topic(.invalidTopicException)
        // Clients ask again shortly, as they do while a broker creates a topic.
        case .pending: return topic(.leaderNotAvailable)
        case .unreachable: return topic(.none, partitions: Int32(settings.kafkaDefaultPartitions))
        }
    }

    func initProducerID(_ request: InitProducerIDRequest) -> InitProducerIDResponse {
        guard request.transactionalID == nil else {
            return InitProducerIDResponse(throttleTimeMs: 0, errorCode: .transactionalIDAuthorizationFailed, producerID: -1, producerEpoch: -1)
        }
        let (id, epoch) = producerIDs.assign(existing: request.producerID, epoch: request.producerEpoch)
        return InitProducerIDResponse(throttleTimeMs: 0, errorCode: .none, producerID: id, producerEpoch: epoch)
    }

    // MARK: Produce

    /// The level a producer's `acks` asks for, or nil for a value Kafka does not know.
    func level(forAcks acks: Int16) -> AckLevel? {
        switch acks {
        case 0: .memory
        case 1: settings.kafkaAcksOneLevel
        case -1: settings.kafkaAcksAllLevel
        default: nil
        }
    }

    /// Hands every partition's records over, each partition whole or not at all,
    /// and calls `reply` once with the answer (at `acks=0` right away: the client
    /// expects none, and the caller writes none).
    func produce(_ request: ProduceRequest, client: String, reply: @escaping @Sendable (ProduceResponse) -> Void) {
        let shape = request.topics.map { topic in (name: topic.name, partitions: topic.partitions.map(\.index)) }
        let gather = ProduceGather(shape: shape, completion: reply)
        func answerAll(_ code: KafkaErrorCode, _ message: String) {
            for (t, topic) in request.topics.enumerated() {
                for p in topic.partitions.indices { gather.fill(topic: t, partition: p, with: partition(topic.partitions[p].index, code, message, topic: topic.name)) }
            }
        }
        if request.transactionalID != nil {
            return answerAll(.transactionalIDAuthorizationFailed, "Spillway's Kafka listener does not support transactions")
        }
        guard let level = level(forAcks: request.acks) else {
            return answerAll(.invalidRequiredAcks, "acks must be 0, 1 or -1 (all), not \(request.acks)")
        }
        for (t, topic) in request.topics.enumerated() {
            for (p, data) in topic.partitions.enumerated() {
                producePartition(topic: topic.name, data, level: level, client: client) { answer in
                    gather.fill(topic: t, partition: p, with: answer)
                }
            }
        }
    }

    private func partition(_ index: Int32, _ code: KafkaErrorCode, _ message: String?, topic: String, offset: Int64 = -1) -> ProduceResponse.Partition {
        if code != .none {
            Counter(label: MetricCatalog.kafkaListenerPartitionErrors.name, dimensions: [("error", code.label)]).increment()
        }
        return ProduceResponse.Partition(index: index, errorCode: code, baseOffset: offset, errorMessage: message)
    }

    private func producePartition(
        topic: String, _ data: ProduceRequest.Partition, level: AckLevel, client: String,
        answer: @escaping @Sendable (ProduceResponse.Partition) -> Void
    ) {
        let index = data.index
        func refuse(_ code: KafkaErrorCode, _ message: String) {
            answer(partition(index, code, message, topic: topic))
        }
        if let problem = TopicName.problem(with: topic) {
            router.countRejected("invalid_topic")
            return refuse(.invalidTopicException, "invalid topic name: \(problem)")
        }
        if let allowlist = settings.topicAllowlist, !allowlist.contains(topic) {
            router.countRejected("topic_not_allowed", topic: topic)
            return refuse(.topicAuthorizationFailed, "topic \(topic) is not in Spillway's \(SettingsKeys.httpTopicAllowlist.name)")
        }
        let buffer = router.buffer(forTopic: topic)
        // The client's partition is kept when the upstream cluster's count is known;
        // otherwise (a count guessed while Kafka was away) librdkafka's partitioner chooses.
        var target: Int32?
        if let count = buffer.partitionCatalog.knownPartitions(of: topic) {
            guard index >= 0, index < count else {
                return refuse(.unknownTopicOrPartition, "topic \(topic) has \(count) partitions upstream; there is no partition \(index)")
            }
            target = index
        } else if case .unknown = buffer.partitionCatalog.answer(for: topic) {
            return refuse(.unknownTopicOrPartition, "the upstream cluster has no topic \(topic)")
        }
        guard let recordSet = data.records, recordSet.readableBytes > 0 else {
            return answer(partition(index, .none, nil, topic: topic))
        }
        let batches: [RecordBatch]
        do {
            batches = try RecordBatchDecoder.decode(recordSet, limits: limits)
        } catch {
            protocolError(error.reason, "refused a record batch from \(client) for \(topic)/\(index): \(error.description)")
            return refuse(error.errorCode, error.description)
        }
        if batches.contains(where: { $0.isTransactional || $0.isControl }) {
            protocolError("transactional", "refused a transactional or control batch from \(client) for \(topic)/\(index)")
            return refuse(.invalidRecord, "transactional and control batches are not supported by Spillway's Kafka listener")
        }

        // Idempotent producers: each batch checked against the sequence numbers taken before.
        var tickets: [ProducerSequences.Ticket] = []
        for batch in batches where batch.producerID >= 0 {
            let key = ProducerSequences.PartitionKey(producerID: batch.producerID, topic: topic, partition: index)
            let verdict = sequences.withLock { $0.check(key, epoch: batch.producerEpoch, firstSequence: batch.baseSequence, count: batch.records.count) }
            switch verdict {
            case .take(let ticket):
                tickets.append(ticket)
                continue
            case .duplicate(let offset):
                settle(tickets, .failed)
                // As a broker answers a retry it still remembers: no error, the original offset.
                return answer(partition(index, offset == nil ? .duplicateSequenceNumber : .none, nil, topic: topic, offset: offset ?? -1))
            case .inProgress:
                settle(tickets, .failed)
                return refuse(.requestTimedOut, "an earlier copy of this batch is still being answered; retry")
            case .outOfOrder(let expected):
                settle(tickets, .failed)
                return refuse(.outOfOrderSequenceNumber, "sequence \(batch.baseSequence) from producer \(batch.producerID) for \(topic)/\(index): expected \(expected)")
            case .staleEpoch(let current):
                settle(tickets, .failed)
                return refuse(.invalidProducerEpoch, "producer \(batch.producerID) epoch \(batch.producerEpoch) is older than its epoch \(current)")
            }
        }

        var records: [OutgoingRecord] = []
        records.reserveCapacity(batches.reduce(0) { $0 + $1.records.count })
        for batch in batches {
            let keepTimestamp = batch.timestampType == .createTime
            for record in batch.records {
                records.append(OutgoingRecord(
                    topic: topic, key: record.key, value: record.value,
                    headers: record.headers.map { RecordHeader(name: $0.key, value: $0.value) },
                    partition: target, timestamp: keepTimestamp ? record.timestamp : nil
                ))
            }
        }
        // Whole or none: every record is checked before any is handed over (the
        // topic is checked above, the partition is the catalog's; here, the size
        // and a producer's own timestamp, as a broker checks them).
        let maxRecordBytes = buffer.configuration.maxRecordBytes
        let topicBytes = topic.utf8.count
        var sizes: [Int] = []
        sizes.reserveCapacity(records.count)
        for (position, record) in records.enumerated() {
            let size = Record.payloadSize(topic: topic, key: record.key, value: record.value, headers: record.headers)
            if size - topicBytes > maxRecordBytes {
                let rejection = Rejection.recordTooLarge(size: size - topicBytes, limit: maxRecordBytes)
                buffer.countRejected(rejection.code, count: records.count)
                settle(tickets, .failed)
                return refuse(.messageTooLarge, "record \(position) of the batch: \(rejection.description)")
            }
            if let timestamp = record.timestamp, timestamp < -1 {
                let rejection = Rejection.invalidTimestamp(timestamp)
                buffer.countRejected(rejection.code, count: records.count)
                settle(tickets, .failed)
                return refuse(.invalidTimestamp, "record \(position) of the batch: \(rejection.description)")
            }
            sizes.append(size)
        }
        let started = ContinuousClock.now
        let finish: @Sendable ([Acknowledgement]) -> Void = { [self, tickets] acknowledgements in
            let verdict = PartitionAnswer.of(acknowledgements, level: level)
            settle(tickets, verdict.succeeded ? .succeeded(baseOffset: verdict.baseOffset) : .failed)
            if level != .memory { buffer.noteAckWaited(level, since: started) }
            answer(partition(index, verdict.errorCode, verdict.message, topic: topic, offset: verdict.baseOffset))
        }
        guard level != .memory else {
            _ = buffer.handOverWhole(records, ack: level, completion: finish)
            return
        }
        // Records that wait for answers go in parts the bounds can take, each once
        // there is room (ListenerFlowControl), in order; the partition is answered
        // once every part is.
        let parts = Self.parts(of: records.count, sizes: sizes, limit: flow.chunk)
        let gather = AnswerSlots<[Acknowledgement]>(parts.count) { finish($0.flatMap { $0 }) }
        for (number, part) in parts.enumerated() {
            let partRecords = Array(records[part.range])
            flow.whenRoom(records: part.range.count, bytes: part.bytes) { [self] in
                let refusal = buffer.handOverWhole(partRecords, ack: level) { [self] acknowledgements in
                    flow.answered(records: part.range.count, bytes: part.bytes)
                    gather.fill(number, acknowledgements)
                }
                if let (_, rejection) = refusal {
                    // Checked above; a refusal here would be a bug, answered honestly.
                    flow.answered(records: part.range.count, bytes: part.bytes)
                    gather.fill(number, Array(repeating: Acknowledgement(disposition: .rejected(rejection), reached: nil), count: part.range.count))
                }
            }
        }
    }

    /// Consecutive ranges of at most `limit` records and bytes (at least one record each).
    static func parts(of count: Int, sizes: [Int], limit: (records: Int, bytes: Int)) -> [(range: Range<Int>, bytes: Int)] {
        var parts: [(range: Range<Int>, bytes: Int)] = []
        var start = 0
        var bytes = 0
        for index in 0..<count {
            if index > start, index - start >= limit.records || bytes + sizes[index] > limit.bytes {
                parts.append((start..<index, bytes))
                start = index
                bytes = 0
            }
            bytes += sizes[index]
        }
        if count > start { parts.append((start..<count, bytes)) }
        return parts
    }

    private func settle(_ tickets: [ProducerSequences.Ticket], _ outcome: ProducerSequences.Outcome) {
        guard !tickets.isEmpty else { return }
        sequences.withLock { sequences in
            for ticket in tickets { sequences.settle(ticket, outcome) }
        }
    }

    /// Counts a refusal by `reason` and logs it, at most once per 10 s per reason.
    func protocolError(_ reason: String, _ message: @autoclosure () -> String) {
        Counter(label: MetricCatalog.kafkaListenerProtocolErrors.name, dimensions: [("reason", reason)]).increment()
        let text = message()
        problems.withLock { problems in
            problems.occurred(reason) { suppressed in
                logger.warning("\(text)", metadata: ["reason": "\(reason)", "similar_since_last_line": "\(suppressed)"])
            }
        }
    }
}
