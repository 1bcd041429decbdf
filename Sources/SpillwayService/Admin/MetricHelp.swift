/// The `# HELP` text of every metric Spillway exposes on `GET /metrics`. The
/// library emits metrics through swift-metrics, which has no place for a
/// description; the service's metrics factory adds it from here, so
/// `promtool check metrics` passes and a dashboard author reads what each means.
public enum MetricHelp {
    public static let catalog: [String: String] = [
        // The conservation terms: accepted + recovered = delivered + queued + in flight + spooled + dropped.
        "spillway_accepted_total": "Records accepted by the hand-over in this run (queued or spooled).",
        "spillway_recovered_total": "Records found in the spool when this run started.",
        "spillway_delivered_total": "Records Kafka acknowledged, live or replayed from the spool.",
        "spillway_queued": "Records in memory: the live queue plus the spool writer's hand-off.",
        "spillway_in_flight": "Live records handed to librdkafka, waiting for their delivery report.",
        "spillway_spooled": "Records in the spool file, ready or dead-lettered.",
        "spillway_dropped_total": "Records dropped, by reason; each is logged and counted, never silent.",
        // Movements and sizes.
        "spillway_replayed_total": "Of the delivered records, those replayed from the spool.",
        "spillway_spilled_total": "Records written to the spool in this run.",
        "spillway_dead_lettered_total": "Records moved to the spool's dead-letter area (refused by Kafka for themselves).",
        "spillway_possibly_persisted_total": "Records spooled (or marked in the spool) after a delivery that was on the wire when it failed: their replay may be a duplicate.",
        "spillway_rejected_total": "Requests or records refused at intake, by reason; never accepted.",
        "spillway_queued_bytes": "Bytes of the records in memory (live queue and hand-off).",
        "spillway_in_flight_bytes": "Bytes of the live records in flight inside librdkafka.",
        "spillway_replay_in_flight": "Replayed records handed to librdkafka, not yet reported.",
        // The breaker.
        "spillway_breaker_state": "Circuit breaker: 0 closed, 1 half-open, 2 open or forced open.",
        "spillway_breaker_mode": "Who decides the breaker: 0 automatic, 1 forced open, 2 forced closed.",
        "spillway_breaker_transitions_total": "Breaker transitions, by kind (closed->open, ...).",
        "spillway_kafka_errors_total": "Errors librdkafka reported, by error code.",
        // The spool and replay.
        "spillway_spool_records": "Records in the spool (ready and dead letters).",
        "spillway_spool_bytes": "Payload bytes in the spool (ready and dead letters).",
        "spillway_spool_dead_letters": "Records in the spool's dead-letter area.",
        "spillway_spool_evicted_total": "Records evicted from the spool to stay within its bounds, in this run.",
        "spillway_replay_rate_records_per_second": "Replay rate the replay controller allows right now, records per second (0 when not replaying).",
        "spillway_replay_phase": "1 for what the replay controller is doing now (ramping, holding, backing-off, at-ceiling, paused, waiting, idle), 0 for the others.",
        // Acknowledgement levels.
        "spillway_ack_accepted_total": "Records accepted by requests that asked for an acknowledgement level, by level (spool, kafka).",
        "spillway_ack_answered_total": "Answers to requests at ack level spool or kafka, by level, outcome and reason.",
        "spillway_ack_wait_seconds": "How long callers at ack level spool or kafka waited for their answer, by level.",
        "spillway_ack_pending": "Records whose callers wait for an acknowledgement now.",
        "spillway_ack_pending_bytes": "Payload bytes of the records whose callers wait for an acknowledgement now.",
        "spillway_spool_escrow_records": "Escrow copies in the spool: records sent at ack level kafka that Kafka has not answered yet.",
        // Latency.
        "spillway_handover_latency_seconds": "Time the hand-over took for one ingest request.",
        "spillway_delivery_latency_seconds": "Time from hand-over to Kafka's acknowledgement, one report in eight.",
    ]

    /// The help text for `name`; a metric missing from the catalog still gets a line, naming the gap.
    public static func text(for name: String) -> String {
        catalog[name] ?? "\(name) (no description in MetricHelp.catalog yet)"
    }
}
