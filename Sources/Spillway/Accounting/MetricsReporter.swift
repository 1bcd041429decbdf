import Metrics
import SpillwaySpool

/// Turns ledger snapshots into swift-metrics: counters grow by the difference
/// since the last report, gauges are set. Runs once a second off the hot path.
struct MetricsReporter {
    private let core: PipelineCore
    private var last = Ledger()
    private var lastAcks = AckCounts()
    private var lastEvicted = 0
    private var first = true
    /// Drops not yet logged, by reason, and when each reason was last logged.
    private var unloggedDrops: [DropReason: Int] = [:]
    private var lastDropLine: [DropReason: ContinuousClock.Instant] = [:]
    /// Drops are logged at most this often per reason, with the count since the last line.
    let dropLogInterval: Duration = .seconds(10)

    init(core: PipelineCore) {
        self.core = core
    }

    mutating func report() {
        let status = core.status.snapshot()
        let (ledger, breaker, spool, replayRate, replayPhase, acks) = (status.ledger, status.breaker, status.spool, status.replayRate, status.replayPhase, status.acks)
        // The first report creates every series at zero: a sum over a series that
        // does not exist yet is "no data" in Prometheus, not 0.
        let isFirst = first
        let cluster = core.metrics.dimensions
        func count(_ label: String, _ now: Int, _ before: Int, _ dimensions: [(String, String)] = []) {
            if now > before {
                Counter(label: label, dimensions: dimensions + cluster).increment(by: Int64(now - before))
            } else if isFirst {
                _ = Counter(label: label, dimensions: dimensions + cluster)
            }
        }
        count(MetricCatalog.accepted.name, ledger.accepted, last.accepted)
        count(MetricCatalog.recovered.name, ledger.recovered, last.recovered)
        count(MetricCatalog.delivered.name, ledger.delivered, last.delivered)
        count(MetricCatalog.replayed.name, ledger.replayed, last.replayed)
        count(MetricCatalog.spilled.name, ledger.spilled, last.spilled)
        count(MetricCatalog.deadLettered.name, ledger.deadLettered, last.deadLettered)
        count(MetricCatalog.quarantined.name, ledger.quarantined, last.quarantined)
        count(MetricCatalog.possiblyPersisted.name, ledger.possiblyPersisted, last.possiblyPersisted)
        for reason in DropReason.allCases {
            count(MetricCatalog.dropped.name, ledger.dropped(reason), last.dropped(reason), [("reason", reason.rawValue)])
            unloggedDrops[reason, default: 0] += ledger.dropped(reason) - last.dropped(reason)
        }
        logDrops(total: ledger)
        for code in Set(ledger.rejected.keys).union(Self.rejectionCodes) {
            count(MetricCatalog.rejected.name, ledger.rejected[code] ?? 0, last.rejected[code] ?? 0, [("reason", code)])
        }
        if isFirst {
            for kind in Self.automaticTransitions { _ = Counter(label: MetricCatalog.breakerTransitions.name, dimensions: [("kind", kind)] + cluster) }
        }
        count(MetricCatalog.spoolEvicted.name, spool.evictedCount, isFirst ? spool.evictedCount : lastEvicted)
        reportAcks(acks, ledger: ledger, count: count)
        Gauge(label: MetricCatalog.spoolEscrowRecords.name, dimensions: cluster).record(spool.escrowCount)
        Gauge(label: MetricCatalog.queued.name, dimensions: cluster).record(ledger.queued)
        Gauge(label: MetricCatalog.inFlight.name, dimensions: cluster).record(ledger.inFlight)
        Gauge(label: MetricCatalog.spooled.name, dimensions: cluster).record(ledger.spooled)
        Gauge(label: MetricCatalog.queuedBytes.name, dimensions: cluster).record(ledger.liveQueuedBytes + ledger.handoffBytes)
        Gauge(label: MetricCatalog.inFlightBytes.name, dimensions: cluster).record(ledger.inFlightBytes)
        Gauge(label: MetricCatalog.replayInFlight.name, dimensions: cluster).record(ledger.replayInFlight)
        Gauge(label: MetricCatalog.spoolRecords.name, dimensions: cluster).record(spool.count)
        Gauge(label: MetricCatalog.spoolBytes.name, dimensions: cluster).record(spool.bytes)
        Gauge(label: MetricCatalog.spoolDeadLetters.name, dimensions: cluster).record(spool.deadCount)
        // A forced mode's state is the one it forces (`CircuitBreaker.state`), as the status shows.
        core.metrics.breakerState.record(Self.stateValue(breaker.state))
        core.metrics.breakerMode.record(Self.modeValue(breaker.mode))
        core.metrics.replayRate.record(replayRate)
        for phase in ReplayPhase.allCases {
            Gauge(label: MetricCatalog.replayPhase.name, dimensions: [("phase", phase.rawValue)] + cluster).record(phase == replayPhase ? 1 : 0)
        }
        last = ledger
        lastAcks = acks
        lastEvicted = spool.evictedCount
        first = false
    }

    /// Acknowledgement levels: records accepted at each, answers by level, outcome
    /// and reason, and the callers waiting now.
    private func reportAcks(_ acks: AckCounts, ledger: Ledger, count: (String, Int, Int, [(String, String)]) -> Void) {
        let memory = ledger.accepted - acks.accepted(.spool) - acks.accepted(.kafka)
        let memoryBefore = last.accepted - lastAcks.accepted(.spool) - lastAcks.accepted(.kafka)
        count(MetricCatalog.ackAccepted.name, memory, memoryBefore, [("level", "memory")])
        for level in [AckLevel.spool, .kafka] {
            count(MetricCatalog.ackAccepted.name, acks.accepted(level), lastAcks.accepted(level), [("level", level.rawValue)])
        }
        let before = Dictionary(lastAcks.answered.map { (Self.key($0), $0.count) }, uniquingKeysWith: +)
        for answered in acks.answered {
            count(MetricCatalog.ackAnswered.name, answered.count, before[Self.key(answered)] ?? 0, [
                ("level", answered.level.rawValue), ("outcome", answered.outcome), ("reason", answered.reason?.rawValue ?? "none"),
            ])
        }
        Gauge(label: MetricCatalog.ackPending.name, dimensions: core.metrics.dimensions).record(acks.pendingRecords)
        Gauge(label: MetricCatalog.ackPendingBytes.name, dimensions: core.metrics.dimensions).record(acks.pendingBytes)
    }

    private static func key(_ answered: AckCounts.Answered) -> String {
        "\(answered.level.rawValue)/\(answered.outcome)/\(answered.reason?.rawValue ?? "none")"
    }

    /// A dropped record is a lost one: say so in the log, not only in the metrics,
    /// but at most once per `dropLogInterval` for each reason.
    private mutating func logDrops(total ledger: Ledger) {
        let now = ContinuousClock.now
        for (reason, count) in unloggedDrops where count > 0 {
            if let last = lastDropLine[reason], now - last < dropLogInterval { continue }
            core.logger.warning("records dropped", metadata: [
                "reason": "\(reason.rawValue)", "since_last_line": "\(count)", "total": "\(ledger.dropped(reason))",
            ])
            unloggedDrops[reason] = 0
            lastDropLine[reason] = now
        }
    }

    /// Rejection reasons there are series for from the start.
    static let rejectionCodes: Set<String> = ["invalid_topic", "record_too_large", "invalid_partition", "invalid_timestamp", "topic_not_allowed", "malformed_record"]
    /// Breaker transitions there are series for from the start (forced ones appear when used).
    static let automaticTransitions = ["closed->open", "open->half-open", "half-open->closed", "half-open->open"]

    /// 0 closed, 1 half-open, 2 open: higher is worse, for alerting.
    static func stateValue(_ state: BreakerState) -> Int {
        switch state {
        case .closed: 0
        case .halfOpen: 1
        case .open: 2
        }
    }

    /// 0 auto, 1 forced open, 2 forced closed.
    static func modeValue(_ mode: BreakerMode) -> Int {
        switch mode {
        case .auto: 0
        case .forcedOpen: 1
        case .forcedClosed: 2
        }
    }
}
