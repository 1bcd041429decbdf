import CRDKafka
import DequeModule
import Foundation
import Logging
import SpillwaySpool

/// Runs on its own thread and is the only user of the breaker and the in-flight
/// table: it moves live and replayed records into librdkafka, reads delivery
/// reports, feeds the breaker, and carries out what the breaker decides.
final class Dispatcher {
    private let core: PipelineCore
    private var breaker: CircuitBreaker
    private var inFlight = InFlightWindow()
    private var replayInFlight = 0
    private var backPressured = false
    private var lastSent = ContinuousClock.now
    /// When the first acknowledgement arrived. Records sent before it waited for
    /// the first connection and metadata, so their latency says nothing about health.
    private var connectedAt: ContinuousClock.Instant?
    /// When the dispatcher started: with no acknowledgement by `connectGrace`
    /// after it, the wait is no longer taken for the first connection.
    private let startedAt = ContinuousClock.now
    private var lastPublished = ContinuousClock.now
    private var transitionCounts: [String: Int] = [:]
    private var lastTransition: BreakerTransition?
    private var lastProbeFailure: String?
    private let batchSize = 1000
    private var kafkaLogRepeats = RepeatedLog()
    /// A broker this librdkafka cannot speak to, said in plain words (issue 11).
    private var incompatibility = IncompatibleBrokerDetector(libraryVersion: RDKafkaClient.libraryVersion)

    init(core: PipelineCore) {
        self.core = core
        breaker = CircuitBreaker(configuration: core.configuration.breaker, seed: UInt64.random(in: 1...UInt64.max))
    }

    /// Dispatches until shutdown begins, then drains.
    func run() {
        publish(force: true)
        core.state.withLockedValue { $0.sending = breaker.isSending; $0.replayWanted = replayAllowed($0) }
        while true {
            let now = ContinuousClock.now
            let (mode, probe, phase) = core.state.withLockedValue { state in
                defer { state.requestedMode = nil; state.probeResult = nil }
                return (state.requestedMode, state.probeResult, state.phase)
            }
            if phase != .running && phase != .starting { break }
            var actions: [BreakerAction] = []
            if let mode { actions += breaker.setMode(mode, at: now) }
            if let probe { actions += breaker.probeFinished(succeeded: probe.succeeded, detail: probe.detail, at: now) }
            actions += breaker.tick(at: now)
            perform(actions)

            backPressured = false
            let sent = sendLive() + sendReplay()
            if sent > 0 { lastSent = now }
            pollAndHandle(timeoutMilliseconds: pollTimeout(sent: sent, now: now))
            scanSlowInFlight(now: ContinuousClock.now)
            publish(force: false)
        }
        drain()
    }

    // MARK: Sending

    /// How long to wait in librdkafka's poll. A full batch means a backlog: go
    /// on at once. Recent traffic: a 1 ms cadence, so records move in batches
    /// (well inside librdkafka's own linger) instead of fighting `send` for the
    /// lock. Quiet for a while: sleep until `send` wakes us.
    private func pollTimeout(sent: Int, now: ContinuousClock.Instant) -> Int32 {
        if backPressured { return 1 }
        if sent >= batchSize { return 0 }
        if now - lastSent < .milliseconds(50) { return 1 }
        let idle = core.state.withLockedValue { state in
            let idle = state.live.isEmpty && (state.replayOutbox.isEmpty || !state.replayWanted)
            state.dispatcherIdle = idle
            return idle
        }
        return idle ? 10 : 1
    }

    /// Sends as many live records as the breaker permits; returns how many.
    private func sendLive() -> Int {
        let permitted = breaker.permits(batchSize)
        guard permitted > 0 else { return 0 }
        let batch = core.state.withLockedValue { $0.takeLive(permitted) }
        breaker.returnPermits(permitted - batch.count)
        guard !batch.isEmpty else { return 0 }
        let now = ContinuousClock.now
        var failures: [(PendingRecord, rd_kafka_resp_err_t)] = []
        for (index, pending) in batch.enumerated() {
            switch core.producer.produce(pending.record, opaque: inFlight.nextOpaque) {
            case .enqueued:
                _ = inFlight.insert(InFlightRecord(origin: .live(pending), sentAt: now))
            case .queueFull:
                // Back-pressure: the rest waits for the next round, in order.
                backPressured = true
                core.state.withLockedValue { $0.returnToLive(batch[index...]) }
                settle(failures)
                return index
            case .failed(let code):
                failures.append((pending, code))
            }
        }
        settle(failures)
        return batch.count
    }

    /// Records librdkafka refused on the spot (unknown topic or partition, …).
    private func settle(_ failures: [(PendingRecord, rd_kafka_resp_err_t)]) {
        guard !failures.isEmpty else { return }
        var outcomes: [CallOutcome] = []
        core.state.withLockedValue { state in
            for (pending, code) in failures {
                core.metrics.kafkaError(String(cString: rd_kafka_err2name(code)))
                switch KafkaErrorKind(code) {
                case .perRecord:
                    state.deadLetterFromFlight(pending, reason: describe(code))
                case .transient, .purged:
                    state.spillFromFlight(pending)
                    outcomes.append(.failure(reason: describe(code)))
                }
            }
        }
        let now = ContinuousClock.now
        for outcome in outcomes { perform(breaker.record(outcome, at: now)) }
        core.spoolWake.signal()
    }

    /// Sends replayed records, only when no live record waits (live traffic first).
    private func sendReplay() -> Int {
        let batch: [SpooledRecord] = core.state.withLockedValue { state in
            guard state.live.isEmpty, !state.replayOutbox.isEmpty, state.replayWanted else { return [] }
            let count = min(state.replayOutbox.count, batchSize)
            return (0..<count).map { _ in state.replayOutbox.removeFirst() }
        }
        guard !batch.isEmpty else { return 0 }
        let now = ContinuousClock.now
        var sent = 0
        var unsent: Int64?
        var deadLetters: [(id: Int64, reason: String)] = []
        for spooled in batch {
            if unsent != nil { break }
            switch core.producer.produce(spooled.record, opaque: inFlight.nextOpaque) {
            case .enqueued:
                _ = inFlight.insert(InFlightRecord(origin: .replay(id: spooled.id), sentAt: now))
                replayInFlight += 1
                sent += 1
            case .queueFull:
                backPressured = true
                unsent = spooled.id
            case .failed(let code):
                if KafkaErrorKind(code) == .perRecord {
                    deadLetters.append((spooled.id, describe(code)))
                } else {
                    unsent = spooled.id
                }
            }
        }
        core.state.withLockedValue { state in
            state.ledger.replayInFlight = replayInFlight
            state.replayDeadLetters += deadLetters
            if let unsent {
                // Re-read from the first record not sent, once the replay in flight settles.
                state.replayOutbox.removeAll()
                state.replayRewind = min(state.replayRewind ?? unsent, unsent)
            }
        }
        if !deadLetters.isEmpty || unsent != nil { core.spoolWake.signal() }
        return sent
    }

    private func replayAllowed(_ state: PipelineState) -> Bool {
        guard !state.replayPaused, breaker.isSending else { return false }
        return breaker.mode == .forcedClosed || breaker.state == .closed
    }

    // MARK: Delivery reports

    private func pollAndHandle(timeoutMilliseconds: Int32) {
        var reports: [DeliveryReport] = []
        var clientErrors: [(rd_kafka_resp_err_t, String)] = []
        var incompatible: IncompatibleBrokerDetector.Finding?
        core.producer.poll(
            timeoutMilliseconds: timeoutMilliseconds,
            reports: { reports.append($0) },
            errors: { clientErrors.append(($0, $1)); incompatible = incompatibility.observe(errorText: $1) ?? incompatible },
            logs: { $0.emit(to: core.logger, repeats: &kafkaLogRepeats); incompatible = incompatibility.observe($0) ?? incompatible }
        )
        if let incompatible {
            core.logger.error("cannot speak to the Kafka broker: \(incompatible.explanation)")
            core.state.withLockedValue { $0.kafkaIncompatibility = incompatible.explanation }
        }
        let now = ContinuousClock.now
        var outcomes: [CallOutcome] = []
        for (code, text) in clientErrors {
            core.metrics.kafkaError(String(cString: rd_kafka_err2name(code)))
            core.state.withLockedValue { $0.lastError = incompatibility.finding?.explanation ?? "Kafka: \(text)" }
            if code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN {
                outcomes.append(.failure(reason: "all brokers are down: \(text)"))
            }
        }
        guard !reports.isEmpty || !outcomes.isEmpty else { return }

        var deliveredCount = 0
        var deliveredBytes = 0
        var spill: [PendingRecord] = []
        var dead: [(PendingRecord, String)] = []
        var replayAcks: [Int64] = []
        var replayDead: [(id: Int64, reason: String)] = []
        var replayRetry: Int64?
        for report in reports {
            guard let entry = inFlight.remove(report.opaque) else { continue }
            if case .replay = entry.origin { replayInFlight -= 1 }
            guard let code = report.error else {
                if connectedAt == nil { connectedAt = now }
                if incompatibility.finding != nil { incompatibility.brokerAnswered() }
                if !entry.countedSlow {
                    let warmingUp = entry.sentAt < connectedAt!
                    outcomes.append(.success(latency: warmingUp ? .zero : now - entry.sentAt))
                }
                // One report in eight feeds the latency histogram: plenty for its quantiles.
                if (report.opaque & 7) == 0 { core.metrics.deliveryLatency.recordNanoseconds((now - entry.sentAt).nanoseconds) }
                switch entry.origin {
                case .live(let pending):
                    deliveredCount += 1
                    deliveredBytes += pending.size
                case .replay(let id): replayAcks.append(id)
                }
                continue
            }
            let kind = KafkaErrorKind(code)
            if kind != .purged {
                core.metrics.kafkaError(String(cString: rd_kafka_err2name(code)))
            }
            if kind == .transient {
                outcomes.append(.failure(reason: describe(code)))
            }
            switch (entry.origin, kind) {
            case (.live(let pending), .perRecord): dead.append((pending, describe(code)))
            case (.live(let pending), _): spill.append(pending)
            case (.replay(let id), .perRecord): replayDead.append((id, describe(code)))
            case (.replay(let id), _): replayRetry = min(replayRetry ?? id, id)
            }
        }
        let lastFailure = outcomes.lazy.compactMap { if case .failure(let reason) = $0 { reason } else { nil } }.last
        core.state.withLockedValue { state in
            state.delivered(count: deliveredCount, bytes: deliveredBytes)
            for pending in spill { state.spillFromFlight(pending) }
            for (pending, reason) in dead { state.deadLetterFromFlight(pending, reason: reason) }
            state.replayAcks += replayAcks
            state.replayDeadLetters += replayDead
            if let replayRetry { state.replayRewind = min(state.replayRewind ?? replayRetry, replayRetry) }
            state.ledger.replayInFlight = replayInFlight
            if let lastFailure { state.lastError = incompatibility.finding?.explanation ?? lastFailure }
            state.kafkaIncompatibility = incompatibility.finding?.explanation
        }
        if !spill.isEmpty || !dead.isEmpty || !replayAcks.isEmpty || !replayDead.isEmpty || replayRetry != nil {
            core.spoolWake.signal()
        }
        for outcome in outcomes { perform(breaker.record(outcome, at: now)) }
    }

    /// Records in flight longer than the slow-call duration count as slow now:
    /// a hung cluster trips the breaker without waiting for librdkafka's timeout.
    private func scanSlowInFlight(now: ContinuousClock.Instant) {
        // Until the first acknowledgement, slowness may be the first connection (failures still
        // count), but only for the connect grace. Past it, with still no acknowledgement, every
        // record in flight is evidence, the first ones included: under load they fill librdkafka's
        // queue before the grace ends, and no later record would get in to be counted.
        if connectedAt == nil, now < startedAt + core.configuration.breaker.connectGrace { return }
        let slow = inFlight.markSlow(sentBefore: now - core.configuration.breaker.slowCallDuration, notBefore: connectedAt ?? startedAt)
        for _ in 0..<slow { perform(breaker.record(.slowInFlight, at: now)) }
    }

    // MARK: Breaker actions

    private func perform(_ actions: [BreakerAction]) {
        for action in actions {
            switch action {
            case .startProbe:
                startProbe()
            case .transition(let transition):
                apply(transition)
            case let .probeFailed(detail, nextProbeIn):
                lastProbeFailure = detail
                core.logger.warning("circuit breaker stays open: probe failed", metadata: [
                    "detail": "\(detail)", "next_probe_in": "\(nextProbeIn.roundedSeconds)",
                    "consecutive_openings": "\(breaker.consecutiveOpenings)",
                ])
                publish(force: true)
            }
        }
    }

    private func apply(_ transition: BreakerTransition) {
        transitionCounts[transition.kind, default: 0] += 1
        lastTransition = transition
        core.metrics.transition(transition.kind)
        let level: Logger.Level = transition.toState == .open || transition.toMode == .forcedOpen ? .warning : .info
        core.logger.log(level: level, "circuit breaker \(transition.kind)", metadata: [
            "mode": "\(transition.toMode.rawValue)", "state": "\(transition.toState.rawValue)", "reason": "\(transition.reason)",
        ])
        if transition.stopsSending {
            // Take back what librdkafka holds; the purge reports send it to the spool.
            core.producer.purge()
        }
        core.state.withLockedValue { state in
            state.sending = breaker.isSending
            state.replayWanted = replayAllowed(state)
            if transition.stopsSending {
                state.spillLiveQueue()
            }
            if !state.replayWanted, let first = state.replayOutbox.first {
                state.replayRewind = min(state.replayRewind ?? first.id, first.id)
                state.replayOutbox.removeAll()
            }
        }
        core.events.publish(BreakerEvent(transition: transition, date: Date()))
        core.spoolWake.signal()
        publish(force: true)
    }

    private func startProbe() {
        let core = core
        let timeout = core.configuration.breaker.probeTimeout
        Thread.detachNewThread {
            let result = core.producer.probe(timeout: timeout)
            core.state.withLockedValue { state in
                switch result {
                case .success(let detail): state.probeResult = (true, detail)
                case .failure(let failure): state.probeResult = (false, failure.description)
                }
            }
            core.producer.wakeUp()
        }
    }

    /// Copies the breaker's figures where status pages read them, ten times a second at most.
    private func publish(force: Bool) {
        let now = ContinuousClock.now
        guard force || now - lastPublished >= .milliseconds(100) else { return }
        lastPublished = now
        var snapshot = BreakerSnapshot()
        snapshot.mode = breaker.mode
        snapshot.state = breaker.state
        snapshot.windowCalls = breaker.windowCalls
        snapshot.failureRate = breaker.failureRate
        snapshot.slowRate = breaker.slowRate
        snapshot.consecutiveOpenings = breaker.consecutiveOpenings
        snapshot.lastTransition = lastTransition?.kind
        snapshot.lastReason = lastTransition?.reason
        if breaker.state == .closed { lastProbeFailure = nil }
        snapshot.lastProbeFailure = lastProbeFailure
        if breaker.mode == .auto, breaker.state == .open, let due = breaker.probeDue {
            snapshot.nextProbeInSeconds = max(0, (due - now).inSeconds)
        }
        snapshot.transitions = transitionCounts
        core.state.withLockedValue { $0.breaker = snapshot }
    }

    // MARK: Shutdown

    /// Intake is closed: give in-flight records their deadline, then spool the rest.
    private func drain() {
        core.state.withLockedValue { state in
            state.sending = false
            state.replayWanted = false
            state.replayOutbox.removeAll()
            state.spillLiveQueue()
        }
        core.spoolWake.signal()
        let deadline = ContinuousClock.now + core.configuration.shutdownDeadline
        while !inFlight.isEmpty, ContinuousClock.now < deadline {
            pollAndHandle(timeoutMilliseconds: 10)
        }
        if !inFlight.isEmpty {
            core.logger.info("shutdown deadline passed; spooling records still in flight", metadata: ["in_flight": "\(inFlight.count)"])
            core.producer.purge()
            let purgeDeadline = ContinuousClock.now + .seconds(3)
            while !inFlight.isEmpty, ContinuousClock.now < purgeDeadline {
                pollAndHandle(timeoutMilliseconds: 10)
            }
        }
        let unreported = inFlight.removeAll()
        core.state.withLockedValue { state in
            // Whatever librdkafka never reported on: we hold the live ones, so spool them.
            for entry in unreported {
                if case .live(let pending) = entry.origin { state.spillFromFlight(pending) }
            }
            state.spillLiveQueue()
            state.ledger.replayInFlight = 0
            state.phase = .flushing
        }
        publish(force: true)
        core.spoolWake.signal()
    }
}
