/// Every metric Spillway exposes, written once: its name, its Prometheus type,
/// its help text and (for histograms) its buckets. The pipeline and the service
/// emit through these names; the service's metrics factory takes the help text
/// and the buckets from here, so a metric cannot be emitted under one name and
/// described or bucketed under another. Add a metric here, then emit it.
package enum MetricCatalog {
    // MARK: The conservation terms: accepted + recovered = delivered + queued + in flight + spooled + dropped.
    package static let accepted = MetricDefinition(
        name: "spillway_accepted_total", kind: .counter,
        help: "Records accepted by the hand-over in this run (queued or spooled)."
    )
    package static let recovered = MetricDefinition(
        name: "spillway_recovered_total", kind: .counter,
        help: "Records found in the spool when this run started."
    )
    package static let delivered = MetricDefinition(
        name: "spillway_delivered_total", kind: .counter,
        help: "Records Kafka acknowledged, live or replayed from the spool."
    )
    package static let queued = MetricDefinition(
        name: "spillway_queued", kind: .gauge,
        help: "Records in memory: the live queue plus the spool writer's hand-off."
    )
    package static let inFlight = MetricDefinition(
        name: "spillway_in_flight", kind: .gauge,
        help: "Live records handed to librdkafka, waiting for their delivery report."
    )
    package static let spooled = MetricDefinition(
        name: "spillway_spooled", kind: .gauge,
        help: "Records in the spool file, ready or dead-lettered."
    )
    package static let dropped = MetricDefinition(
        name: "spillway_dropped_total", kind: .counter,
        help: "Records dropped, by reason; each is logged and counted, never silent."
    )

    // MARK: Movements and sizes.
    package static let replayed = MetricDefinition(
        name: "spillway_replayed_total", kind: .counter,
        help: "Of the delivered records, those replayed from the spool."
    )
    package static let spilled = MetricDefinition(
        name: "spillway_spilled_total", kind: .counter,
        help: "Records written to the spool in this run."
    )
    package static let deadLettered = MetricDefinition(
        name: "spillway_dead_lettered_total", kind: .counter,
        help: "Records moved to the spool's dead-letter area (refused by Kafka for themselves)."
    )
    package static let quarantined = MetricDefinition(
        name: "spillway_quarantined_total", kind: .counter,
        help: "Of the dead-lettered records, spooled rows that could not be sent as stored (damaged or edited by hand): moved aside unread, the reason names the column."
    )
    package static let possiblyPersisted = MetricDefinition(
        name: "spillway_possibly_persisted_total", kind: .counter,
        help: "Records spooled (or marked in the spool) after a delivery that was on the wire when it failed: their replay may be a duplicate."
    )
    package static let rejected = MetricDefinition(
        name: "spillway_rejected_total", kind: .counter,
        help: "Requests or records refused at intake, by reason; never accepted."
    )
    package static let queuedBytes = MetricDefinition(
        name: "spillway_queued_bytes", kind: .gauge,
        help: "Bytes of the records in memory (live queue and hand-off)."
    )
    package static let inFlightBytes = MetricDefinition(
        name: "spillway_in_flight_bytes", kind: .gauge,
        help: "Bytes of the live records in flight inside librdkafka."
    )
    package static let replayInFlight = MetricDefinition(
        name: "spillway_replay_in_flight", kind: .gauge,
        help: "Replayed records handed to librdkafka, not yet reported."
    )

    // MARK: The breaker.
    package static let breakerState = MetricDefinition(
        name: "spillway_breaker_state", kind: .gauge,
        help: "Circuit breaker: 0 closed, 1 half-open, 2 open or forced open."
    )
    package static let breakerMode = MetricDefinition(
        name: "spillway_breaker_mode", kind: .gauge,
        help: "Who decides the breaker: 0 automatic, 1 forced open, 2 forced closed."
    )
    package static let breakerTransitions = MetricDefinition(
        name: "spillway_breaker_transitions_total", kind: .counter,
        help: "Breaker transitions, by kind (closed->open, ...)."
    )
    package static let kafkaErrors = MetricDefinition(
        name: "spillway_kafka_errors_total", kind: .counter,
        help: "Errors librdkafka reported, by error code."
    )

    // MARK: The spool and replay.
    package static let spoolRecords = MetricDefinition(
        name: "spillway_spool_records", kind: .gauge,
        help: "Records in the spool (ready and dead letters)."
    )
    package static let spoolBytes = MetricDefinition(
        name: "spillway_spool_bytes", kind: .gauge,
        help: "Payload bytes in the spool (ready and dead letters)."
    )
    package static let spoolDeadLetters = MetricDefinition(
        name: "spillway_spool_dead_letters", kind: .gauge,
        help: "Records in the spool's dead-letter area."
    )
    package static let spoolEvicted = MetricDefinition(
        name: "spillway_spool_evicted_total", kind: .counter,
        help: "Records evicted from the spool to stay within its bounds, in this run."
    )
    package static let replayRate = MetricDefinition(
        name: "spillway_replay_rate_records_per_second", kind: .gauge,
        help: "Replay rate the replay controller allows right now, records per second (0 when not replaying)."
    )
    package static let replayPhase = MetricDefinition(
        name: "spillway_replay_phase", kind: .gauge,
        help: "1 for what the replay controller is doing now (ramping, holding, backing-off, at-ceiling, paused, waiting, idle), 0 for the others."
    )

    // MARK: Acknowledgement levels.
    package static let ackAccepted = MetricDefinition(
        name: "spillway_ack_accepted_total", kind: .counter,
        help: "Records accepted by requests that asked for an acknowledgement level, by level (spool, kafka)."
    )
    package static let ackAnswered = MetricDefinition(
        name: "spillway_ack_answered_total", kind: .counter,
        help: "Answers to requests at ack level spool or kafka, by level, outcome and reason."
    )
    package static let ackWait = MetricDefinition(
        name: "spillway_ack_wait_seconds", kind: .histogram,
        help: "How long callers at ack level spool or kafka waited for their answer, by level."
    )
    package static let ackPending = MetricDefinition(
        name: "spillway_ack_pending", kind: .gauge,
        help: "Records whose callers wait for an acknowledgement now."
    )
    package static let ackPendingBytes = MetricDefinition(
        name: "spillway_ack_pending_bytes", kind: .gauge,
        help: "Payload bytes of the records whose callers wait for an acknowledgement now."
    )
    package static let spoolEscrowRecords = MetricDefinition(
        name: "spillway_spool_escrow_records", kind: .gauge,
        help: "Escrow copies in the spool: records sent at ack level kafka that Kafka has not answered yet."
    )

    // MARK: Latency.
    package static let handoverLatency = MetricDefinition(
        name: "spillway_handover_latency_seconds", kind: .histogram,
        help: "Time the hand-over took for one ingest request.",
        buckets: [
            .nanoseconds(250), .nanoseconds(500), .microseconds(1), .microseconds(2), .microseconds(5),
            .microseconds(10), .microseconds(50), .microseconds(100), .milliseconds(1), .milliseconds(10),
        ]
    )
    package static let deliveryLatency = MetricDefinition(
        name: "spillway_delivery_latency_seconds", kind: .histogram,
        help: "Time from hand-over to Kafka's acknowledgement, one report in eight.",
        buckets: [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100),
            .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30),
        ]
    )

    // MARK: The Kafka-protocol listener.
    package static let kafkaListenerRequests = MetricDefinition(
        name: "spillway_kafka_listener_requests_total", kind: .counter,
        help: "Requests Kafka clients sent to the Kafka-protocol listener, by API and version."
    )
    package static let kafkaListenerClients = MetricDefinition(
        name: "spillway_kafka_listener_clients_total", kind: .counter,
        help: "Connections that named their client software (ApiVersions v3), by software name and version."
    )
    package static let kafkaListenerConnections = MetricDefinition(
        name: "spillway_kafka_listener_connections", kind: .gauge,
        help: "Connections the Kafka-protocol listener holds now."
    )
    package static let kafkaListenerProtocolErrors = MetricDefinition(
        name: "spillway_kafka_listener_protocol_errors_total", kind: .counter,
        help: "Requests or record batches the Kafka-protocol listener refused as malformed or unsupported, by reason."
    )
    package static let kafkaListenerPartitionErrors = MetricDefinition(
        name: "spillway_kafka_listener_partition_errors_total", kind: .counter,
        help: "Produce answers per partition that carried an error, by Kafka error name."
    )

    // MARK: The process (`spillway serve`).
    package static let heapReturned = MetricDefinition(
        name: "spillway_heap_returned_bytes_total", kind: .counter,
        help: "Freed heap handed back to the kernel once a backlog had gone through (glibc's malloc_trim; heap_trim_threshold_bytes)."
    )

    /// Every metric, in the order above.
    package static let all: [MetricDefinition] = [
        accepted, recovered, delivered, queued, inFlight, spooled, dropped, replayed, spilled, deadLettered, quarantined,
        possiblyPersisted, rejected, queuedBytes, inFlightBytes, replayInFlight, breakerState, breakerMode,
        breakerTransitions, kafkaErrors, spoolRecords, spoolBytes, spoolDeadLetters, spoolEvicted, replayRate,
        replayPhase, ackAccepted, ackAnswered, ackWait, ackPending, ackPendingBytes, spoolEscrowRecords,
        handoverLatency, deliveryLatency,
        kafkaListenerRequests, kafkaListenerClients, kafkaListenerConnections, kafkaListenerProtocolErrors, kafkaListenerPartitionErrors,
        heapReturned,
    ]

    private static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// The metric called `name`, or `nil` when the catalog has none.
    package static func named(_ name: String) -> MetricDefinition? {
        byName[name]
    }
}
