import Logging
import SpillwaySpool

/// The delivery loop: runs on its own thread and is the only user of the
/// librdkafka producer's send and poll, the in-flight table, the breaker and
/// the replay controller, the two that learn from delivery reports. Each round
/// it carries out commands, sends live records (then replayed ones, live
/// first), reads delivery reports and settles them, counts records in flight
/// too long as slow, and lets the replay controller decide the replay rate.
final class DeliveryLoop {
    private let core: PipelineCore
    /// All the delivery loop may do to the pipeline state.
    private let state: DeliveryLoopView
    private var breaker: BreakerDriver
    private var replayControl: ReplayController
    private var replayControlLog = RepeatedLog()
    private var inFlight = InFlightWindow()
    /// The reports one poll copies out, settled after it; kept to reuse its storage.
    private var reportBuffer: [DeliveryReport] = []
    private var warmUp: ConnectionWarmUp
    private var backPressured = false
    private var lastSent = ContinuousClock.now
    private var kafkaLogRepeats = RepeatedLog()
    /// A broker the loaded librdkafka cannot speak to, said in plain words.
    private var incompatibility = IncompatibleBrokerDetector(libraryVersion: RDKafkaClient.libraryVersion)
    /// Records handed to librdkafka per round, at most.
    private let batchSize = 1000

    init(core: PipelineCore) {
        self.core = core
        state = core.delivery
        let now = ContinuousClock.now
        breaker = BreakerDriver(core: core, now: now)
        replayControl = ReplayController(configuration: core.configuration.replay, now: now, loneRecordDelay: core.configuration.kafka.linger)
        warmUp = ConnectionWarmUp(startedAt: now, grace: core.configuration.breaker.connectGrace)
    }

    /// Delivers until shutdown begins, then drains.
    func run() {
        breaker.start(at: .now)
        while true {
            let now = ContinuousClock.now
            // Callers past their deadline are answered from here too, so a stuck disk
            // (which holds up the spool loop) never holds them up.
            let round = state.startRound(now: now)
            guard round.running else { break }
            breaker.handle(round.commands, at: now)
            backPressured = false
            let sent = sendLive() + sendReplay()
            if sent > 0 { lastSent = now }
            pollAndSettle(timeoutMilliseconds: pollTimeout(sent: sent, now: now))
            scanSlowInFlight(now: .now)
            breaker.publish(at: .now)
            controlReplay(round, at: .now)
        }
        drain()
    }

    /// Lets the replay controller decide, and publishes what it decided.
    private func controlReplay(_ round: DeliveryRound, at now: ContinuousClock.Instant) {
        if round.replayConfiguration != replayControl.configuration { replayControl.setConfiguration(round.replayConfiguration) }
        let context = ReplayController.Context(
            backlog: round.backlog,
            paused: round.replayPaused,
            breakerAllows: breaker.breaker.allowsReplay,
            breakerClosed: breaker.breaker.state == .closed
        )
        let before = replayControl.phase
        guard replayControl.tick(at: now, context) else { return }
        let (rate, phase) = (replayControl.rate, replayControl.phase)
        state.publishReplayControl(rate: rate, phase: phase)
        guard phase != before else { return }
        let metadata: Logger.Metadata = [
            "rate": "\(Int(rate))/s", "latency": "\(replayControl.recentLatency.map { "\($0.milliseconds) ms" } ?? "none")",
            "baseline": "\(replayControl.baseline.map { "\($0.milliseconds) ms" } ?? "not measured")",
            "healthy_rate": "\(replayControl.healthyRate.map { "\(Int($0))/s" } ?? "not measured")",
        ]
        switch phase {
        case .backingOff:
            let logger = core.logger
            replayControlLog.occurred("backing-off", at: now) { suppressed in
                logger.notice("replay backing off: Kafka is slower than before the outage, or failing", metadata: metadata.merging(["similar_since_last_line": "\(suppressed)"]) { $1 })
            }
        case .atCeiling:
            core.logger.info("replay at its ceiling", metadata: metadata)
        case .ramping where !before.isReplaying:
            core.logger.info("replay starting", metadata: metadata)
        case .idle where before.isReplaying:
            core.logger.info("replay done: the spool is empty", metadata: metadata)
        default:
            break
        }
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
        let idle = state.markIdleIfNothingToSend()
        return idle ? 10 : 1
    }

    /// Sends as many live records as the breaker permits; returns how many.
    private func sendLive() -> Int {
        let permitted = breaker.permits(batchSize)
        guard permitted > 0 else { return 0 }
        let batch = state.takeLive(permitted)
        breaker.returnPermits(permitted - batch.count)
        guard !batch.isEmpty else { return 0 }
        let now = ContinuousClock.now
        let sentAt = inFlight.stamp(now)
        var refused = Settlement()
        var outcomes: [CallOutcome] = []
        var sent = batch.count
        for (index, pending) in batch.enumerated() {
            switch core.client.produce(pending.record, opaque: inFlight.nextOpaque) {
            case .enqueued:
                _ = inFlight.insert(.live(pending), sentAt: sentAt)
            case .queueFull:
                // Back-pressure: the rest waits for the next round, in order.
                backPressured = true
                replayControl.queueFull()
                state.returnToLive(batch[index...])
                sent = index
            case .failed(let code):
                // Refused on the spot (unknown topic or partition, …): settled like a report.
                let verdict = ReportClassifier.classify(.live(pending), error: code)
                note(verdict)
                refused.add(verdict)
                if let outcome = verdict.outcome { outcomes.append(outcome) }
            }
            if backPressured { break }
        }
        apply(refused, outcomes: outcomes, at: now)
        return sent
    }

    /// Sends replayed records, only when no live record waits (live traffic
    /// first); half-open, they take whatever trial slots live records left.
    private func sendReplay() -> Int {
        let permitted = breaker.permits(batchSize)
        guard permitted > 0 else { return 0 }
        let batch = state.takeReplay(max: permitted)
        breaker.returnPermits(permitted - batch.count)
        guard !batch.isEmpty else { return 0 }
        let now = ContinuousClock.now
        let sentAt = inFlight.stamp(now)
        var sent = 0
        var unsentFrom: Int64?
        var deadLetters: [(id: Int64, reason: String)] = []
        let markDuplicates = core.configuration.recordIDHeader != nil
        for spooled in batch {
            // With record ids on, a copy that may duplicate one already in Kafka says so.
            let mark = markDuplicates && spooled.record.possiblyPersisted ? RecordIDs.possiblyPersistedHeader : nil
            switch core.client.produce(spooled.record, opaque: inFlight.nextOpaque, extraHeader: mark) {
            case .enqueued:
                _ = inFlight.insert(.replay(id: spooled.id), sentAt: sentAt)
                sent += 1
            case .queueFull:
                backPressured = true
                replayControl.queueFull()
                unsentFrom = spooled.id
            case .failed(let code):
                let verdict = ReportClassifier.classify(.replay(id: spooled.id), error: code)
                note(verdict)
                if case .replayDeadLetter(let id, let reason) = verdict.move {
                    deadLetters.append((id, reason))
                } else {
                    unsentFrom = spooled.id
                }
            }
            if unsentFrom != nil { break }
        }
        state.replaySent(taken: batch.count, sent: sent, deadLetters: deadLetters, unsentFrom: unsentFrom)
        return sent
    }

    // MARK: Delivery reports

    /// Reads what librdkafka reports (delivery reports, client errors, its log
    /// lines) and settles it: the pipeline state in one step, then the breaker.
    private func pollAndSettle(timeoutMilliseconds: Int32) {
        var settlement = Settlement()
        var outcomes: [CallOutcome] = []
        var now = ContinuousClock.now
        var incompatible: IncompatibleBrokerDetector.Finding?
        let wasIncompatible = incompatibility.finding != nil
        var reports: [DeliveryReport] = []
        swap(&reports, &reportBuffer)
        core.client.poll(
            timeoutMilliseconds: timeoutMilliseconds,
            reports: { reports.append($0) },
            errors: { error, text in
                // Reports that came before the error are settled before it, in order.
                settle(&reports, into: &settlement, outcomes: &outcomes, now: &now)
                incompatible = incompatibility.observe(errorText: text) ?? incompatible
                core.metrics.kafkaError(error.name)
                settlement.lastError = "Kafka: \(text)"
                if error.allBrokersDown {
                    outcomes.append(.failure(reason: "all brokers are down: \(text)"))
                }
            },
            logs: { line in
                line.emit(to: core.logger, repeats: &kafkaLogRepeats)
                incompatible = incompatibility.observe(line) ?? incompatible
            }
        )
        settle(&reports, into: &settlement, outcomes: &outcomes, now: &now)
        swap(&reports, &reportBuffer)
        if let incompatible {
            core.logger.error("cannot speak to the Kafka broker: \(incompatible.explanation)")
        }
        if incompatible != nil || wasIncompatible != (incompatibility.finding != nil) {
            let explanation = incompatibility.finding?.explanation
            state.setKafkaIncompatibility(explanation)
        }
        apply(settlement, outcomes: outcomes, at: now)
    }

    /// Settles the reports a poll copied out, in order, and empties the list
    /// (keeping its storage). One plain loop instead of work inside librdkafka's
    /// callback, with the in-flight window moved into a local for its length (a
    /// field of this class is checked for exclusive access at every use). The
    /// clock is read every 64 reports, not for each: they arrive in batches
    /// microseconds apart, and a read costs as much as settling one. An
    /// acknowledgement, the common case, is settled without a verdict.
    private func settle(_ reports: inout [DeliveryReport], into settlement: inout Settlement, outcomes: inout [CallOutcome], now: inout ContinuousClock.Instant) {
        defer { reports.removeAll(keepingCapacity: true) }
        guard !reports.isEmpty else { return }
        var window = InFlightWindow(epoch: inFlight.epoch)
        swap(&window, &inFlight)
        defer { swap(&window, &inFlight) }
        var nowStamp = Duration.zero
        for index in reports.indices {
            let report = reports[index]
            if index & 63 == 0 {
                now = .now
                nowStamp = window.stamp(now)
            }
            guard let entry = window.remove(report.opaque) else { continue }
            if let error = report.error {
                let verdict = ReportClassifier.classify(entry.origin, error: error, possiblyPersisted: report.possiblyPersisted)
                note(verdict)
                settlement.add(verdict)
                if let outcome = verdict.outcome {
                    outcomes.append(outcome)
                    if case .failure = outcome { replayControl.failed() }
                }
                continue
            }
            warmUp.acknowledged(at: now)
            if incompatibility.finding != nil { incompatibility.brokerAnswered() }
            settlement.addAcknowledged(entry.origin, partition: report.partition, offset: report.offset)
            // What the breaker and the replay controller learn (nothing from a
            // record already counted as slow).
            if !entry.countedSlow {
                let latency = warmUp.latency(sentAt: window.instant(entry.sentAt), now: now)
                outcomes.append(.success(latency: latency))
                if latency > .zero { replayControl.delivered(latency: latency) }
            }
            // One report in eight feeds the latency histogram: plenty for its quantiles.
            if (report.opaque & 7) == 0 { core.metrics.deliveryLatency.recordNanoseconds((nowStamp - entry.sentAt).nanoseconds) }
        }
    }

    private func note(_ verdict: ReportVerdict) {
        if let name = verdict.errorName { core.metrics.kafkaError(name) }
    }

    private func apply(_ settlement: Settlement, outcomes: [CallOutcome], at now: ContinuousClock.Instant) {
        state.settle(settlement)
        for outcome in outcomes { breaker.record(outcome, at: now) }
    }

    /// Records in flight longer than the slow-call duration count as slow now:
    /// a hung cluster trips the breaker without waiting for librdkafka's timeout.
    private func scanSlowInFlight(now: ContinuousClock.Instant) {
        guard let floor = warmUp.slowScanFloor(at: now) else { return }
        let slow = inFlight.markSlow(sentBefore: now - core.configuration.breaker.slowCallDuration, notBefore: floor)
        for _ in 0..<slow {
            breaker.record(.slowInFlight, at: now)
            replayControl.slowCall()
        }
    }

    // MARK: Shutdown

    /// Intake is closed: give in-flight records their deadline, then spool the rest.
    private func drain() {
        state.beginDrain()
        let deadline = ContinuousClock.now + core.configuration.shutdownDeadline
        while !inFlight.isEmpty, ContinuousClock.now < deadline {
            pollAndSettle(timeoutMilliseconds: 10)
        }
        if !inFlight.isEmpty {
            core.logger.info("shutdown deadline passed; spooling records still in flight", metadata: ["in_flight": "\(inFlight.count)"])
            core.client.purge(inFlightToo: true)
            let purgeDeadline = ContinuousClock.now + .seconds(3)
            while !inFlight.isEmpty, ContinuousClock.now < purgeDeadline {
                pollAndSettle(timeoutMilliseconds: 10)
            }
        }
        // Whatever librdkafka never reported on: we hold the live ones, so spool them
        // (those with an escrow copy on disk through it).
        var unreported = Settlement()
        for entry in inFlight.removeAll() {
            if case .live(let pending) = entry.origin { unreported.add(ReportVerdict(move: .spill(pending))) }
        }
        state.finish(unreported: unreported)
        breaker.publish(at: .now, force: true)
        state.wakeSpoolLoop()
    }
}
