import Foundation
import Logging
import SpillwaySpool

/// Runs on its own thread and is the spool's one owner: it writes what the
/// pipeline spills (batched transactions), reads the backlog for replay at the
/// throttled rate, and deletes records once Kafka has acknowledged them.
final class SpoolWorker {
    private let core: PipelineCore
    private var spool: Spool?
    /// Replay reads records with ids above this.
    private var cursor: Int64 = 0
    private var throttle: ReplayThrottle
    private var replaying = false
    private var problems = RepeatedLog()
    /// While the spool cannot be opened (another process holds it, say, during a
    /// restart overlap), it is tried again this often.
    private let reopenInterval: Duration = .seconds(2)
    private var nextOpenAttempt = ContinuousClock.now
    private var failedOpens = 0

    init(core: PipelineCore) {
        self.core = core
        throttle = ReplayThrottle(configuration: core.configuration.replay, now: .now)
    }

    func run() {
        open()
        while true {
            _ = core.spoolWake.wait(timeout: .now() + .milliseconds(10))
            if spool == nil, ContinuousClock.now >= nextOpenAttempt { open() }
            var finished = false
            // Drain everything there is before sleeping again.
            while true {
                // Taken and cleared under one lock: acks the dispatcher adds meanwhile wait for the next step.
                let step = core.state.withLockedValue { state in
                    defer {
                        state.replayAcks.removeAll(keepingCapacity: true)
                        state.replayDeadLetters.removeAll(keepingCapacity: true)
                    }
                    return (
                        work: state.takeHandoff(max: core.configuration.spoolBatchSize),
                        acks: state.replayAcks,
                        dead: state.replayDeadLetters,
                        phase: state.phase
                    )
                }
                let didWork = !step.work.ready.isEmpty || !step.work.dead.isEmpty || !step.acks.isEmpty || !step.dead.isEmpty
                write(step.work.dead)
                write(step.work.ready)
                acknowledge(step.acks)
                moveToDeadLetters(step.dead)
                if step.phase == .flushing || step.phase == .stopped {
                    let empty = core.state.withLockedValue { $0.handoff.isEmpty && $0.deadHandoff.isEmpty && $0.replayAcks.isEmpty }
                    if empty && !didWork {
                        finished = true
                        break
                    }
                }
                if !didWork { break }
            }
            if finished { break }
            replay()
        }
        close()
    }

    // MARK: Opening and closing

    /// Opens the spool; on failure, runs without one (records that cannot go to
    /// Kafka are dropped, counted) and tries again every `reopenInterval`.
    private func open() {
        do {
            let spool = try Spool.open(core.configuration.spool, options: .service, logger: core.logger)
            self.spool = spool
            let totals = spool.totals
            core.state.withLockedValue { state in
                // Nothing was spooled while there was no spool: what the file holds is recovered.
                state.ledger.recovered += totals.count
                state.ledger.spooled += totals.count
                state.spoolTotals = totals
                state.spoolBacklog = totals.readyCount > 0
                state.spoolAvailable = true
                if let moved = spool.quarantinedPath {
                    state.lastError = "the spool was corrupt; moved it to \(moved) and started a fresh one"
                } else if failedOpens > 0 {
                    state.lastError = nil
                }
            }
            if failedOpens > 0 {
                core.logger.notice("spool opened after being unavailable", metadata: ["failed_attempts": "\(failedOpens)", "ready": "\(totals.readyCount)"])
            } else if totals.count > 0 {
                core.logger.info("spool opened with a backlog", metadata: ["ready": "\(totals.readyCount)", "dead_letters": "\(totals.deadCount)"])
            }
        } catch {
            failedOpens += 1
            nextOpenAttempt = ContinuousClock.now + reopenInterval
            problems.occurred("open") { suppressed in
                core.logger.error(
                    "spool unavailable; records that cannot go to Kafka are dropped until it opens (retrying every \(reopenInterval))",
                    metadata: ["error": "\(error)", "similar_since_last_line": "\(suppressed)"]
                )
            }
            core.state.withLockedValue { state in
                state.spoolAvailable = false
                state.lastError = "spool unavailable: \(error)"
            }
        }
    }

    private func close() {
        spool?.close()
        spool = nil
        core.state.withLockedValue { $0.phase = .stopped }
    }

    // MARK: Writing

    private func write(_ batch: [PendingRecord]) {
        guard !batch.isEmpty else { return }
        let bytes = batch.reduce(0) { $0 + $1.size }
        guard let spool else {
            core.state.withLockedValue { $0.spoolWrote(batch.count, bytes: bytes, evicted: 0, failure: .spoolUnavailable, totals: $0.spoolTotals) }
            return
        }
        do {
            let result = try spool.append(batch.map(\.record))
            core.state.withLockedValue { $0.spoolWrote(batch.count, bytes: bytes, evicted: result.evictedCount, totals: spool.totals) }
        } catch {
            problems.occurred("append") { suppressed in
                core.logger.error("spool append failed; batch dropped", metadata: ["records": "\(batch.count)", "error": "\(error)", "similar_since_last_line": "\(suppressed)"])
            }
            core.state.withLockedValue { state in
                state.spoolWrote(batch.count, bytes: bytes, evicted: 0, failure: .spoolFailed, totals: spool.totals)
                state.lastError = "spool append failed: \(error)"
            }
        }
    }

    private func write(_ deadLetters: [(PendingRecord, reason: String)]) {
        guard !deadLetters.isEmpty else { return }
        guard let spool else {
            // No spool: counted as dropped like any other record that cannot be kept.
            write(deadLetters.map(\.0))
            return
        }
        var start = 0
        while start < deadLetters.count {
            // One append per run of the same reason.
            var end = start + 1
            while end < deadLetters.count, deadLetters[end].reason == deadLetters[start].reason { end += 1 }
            let run = deadLetters[start..<end]
            let bytes = run.reduce(0) { $0 + $1.0.size }
            do {
                let result = try spool.append(run.map(\.0.record), as: .deadLetter(reason: run.first!.reason))
                core.state.withLockedValue { state in
                    state.spoolWrote(run.count, bytes: bytes, evicted: result.evictedCount, totals: spool.totals)
                    state.spoolDeadLettered(result.appendedCount)
                }
                problems.occurred("dead:" + run.first!.reason) { suppressed in
                    core.logger.warning("Kafka refused records; kept as dead letters", metadata: ["records": "\(run.count)", "reason": "\(run.first!.reason)", "similar_since_last_line": "\(suppressed)"])
                }
            } catch {
                core.state.withLockedValue { state in
                    state.spoolWrote(run.count, bytes: bytes, evicted: 0, failure: .spoolFailed, totals: spool.totals)
                    state.lastError = "spool append failed: \(error)"
                }
            }
            start = end
        }
    }

    // MARK: Replay

    private func acknowledge(_ ids: [Int64]) {
        guard !ids.isEmpty, let spool else { return }
        do {
            let deleted = try spool.delete(ids: ids)
            core.state.withLockedValue { $0.spoolDeleted(deleted, totals: spool.totals) }
        } catch {
            // They stay in the spool and will be replayed again: at least once.
            problems.occurred("delete") { suppressed in
                core.logger.error("could not delete replayed records from the spool", metadata: ["error": "\(error)", "similar_since_last_line": "\(suppressed)"])
            }
        }
    }

    private func moveToDeadLetters(_ items: [(id: Int64, reason: String)]) {
        guard !items.isEmpty, let spool else { return }
        for (reason, group) in Dictionary(grouping: items, by: \.reason) {
            do {
                let moved = try spool.moveToDeadLetters(ids: group.map(\.id), reason: reason)
                core.state.withLockedValue { state in
                    state.spoolDeadLettered(moved)
                    state.spoolTotals = spool.totals
                    state.spoolBacklog = spool.totals.readyCount > 0
                }
            } catch {
                problems.occurred("move") { suppressed in
                    core.logger.error("could not move records to the dead-letter area", metadata: ["error": "\(error)", "similar_since_last_line": "\(suppressed)"])
                }
            }
        }
    }

    /// Tops up the dispatcher's replay outbox, no faster than the throttle allows.
    private func replay() {
        guard let spool else { return }
        let now = ContinuousClock.now
        let (wanted, outboxCount, inFlight, rewind, configuration) = core.state.withLockedValue { state in
            (state.replayWanted, state.replayOutbox.count, state.ledger.replayInFlight, state.replayRewind, state.replayConfiguration)
        }
        guard wanted else {
            replaying = false
            core.state.withLockedValue { $0.replayRate = 0 }
            return
        }
        if throttle.configuration != configuration { throttle.configuration = configuration }
        if !replaying {
            replaying = true
            throttle.restart(at: now)
            if spool.totals.readyCount > 0 {
                core.logger.info("replaying the spool", metadata: ["ready": "\(spool.totals.readyCount)"])
            }
        }
        if let rewind, inFlight == 0, outboxCount == 0 {
            cursor = min(cursor, rewind - 1)
            core.state.withLockedValue { $0.replayRewind = nil }
        }
        guard spool.totals.readyCount > 0, outboxCount == 0, inFlight < configuration.batchSize else {
            // Nothing left to replay reads as 0/s, not as the rate the throttle would allow.
            let rate = spool.totals.readyCount > 0 || inFlight > 0 ? throttle.currentRate(at: now) : 0
            core.state.withLockedValue { $0.replayRate = rate }
            return
        }
        let allowed = throttle.available(at: now, limit: configuration.batchSize - inFlight)
        guard allowed > 0 else { return }
        do {
            let records = try spool.readOldest(limit: allowed, after: cursor)
            guard let last = records.last else {
                // Past the newest record, yet some remain behind the cursor (a delete that
                // failed, say): with nothing in flight, start again from the oldest.
                if inFlight == 0 { cursor = 0 }
                return
            }
            throttle.consume(records: records.count, bytes: records.reduce(0) { $0 + $1.record.payloadSize })
            cursor = last.id
            core.state.withLockedValue { state in
                guard state.replayWanted else { return }
                state.replayOutbox.append(contentsOf: records)
                state.replayRate = throttle.currentRate(at: now)
            }
            core.producer.wakeUp()
        } catch {
            problems.occurred("read") { suppressed in
                core.logger.error("could not read the spool for replay", metadata: ["error": "\(error)", "similar_since_last_line": "\(suppressed)"])
            }
        }
    }
}
