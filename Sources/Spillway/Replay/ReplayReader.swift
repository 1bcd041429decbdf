import Logging
import SpillwaySpool

/// Brings the spool's backlog back to Kafka: reads the oldest records for the
/// delivery loop at the rate the throttle allows, deletes them once Kafka has
/// acknowledged them (never before: at least once), moves the ones Kafka
/// refused to the dead-letter area, and reads again what failed. Runs on the
/// spool loop's thread; whether replay may run at all is `ReplayState`'s rule.
struct ReplayReader {
    private let core: PipelineCore
    /// Reads records with ids above this.
    private var cursor: Int64 = 0
    private var throttle: ReplayThrottle
    private var replaying = false
    private var problems = RepeatedLog()

    init(core: PipelineCore) {
        self.core = core
        throttle = ReplayThrottle(configuration: core.configuration.replay, now: .now)
    }

    /// Carries out Kafka's verdicts on replayed records.
    mutating func settle(_ bookkeeping: ReplayState.Bookkeeping, in spool: Spool?) {
        guard let spool else { return }
        let (acks, deadLetters, failed) = (bookkeeping.acks, bookkeeping.deadLetters, bookkeeping.failed)
        if !failed.isEmpty {
            do {
                try spool.countFailedAttempts(ids: failed)
            } catch {
                logProblem("attempts", "could not count replay attempts in the spool", error)
            }
        }
        if !acks.isEmpty {
            do {
                let deleted = try spool.delete(ids: acks)
                let totals = spool.totals
                core.state.withLockedValue { $0.spoolDeleted(deleted, totals: totals) }
            } catch {
                // They stay in the spool and will be replayed again: at least once.
                logProblem("delete", "could not delete replayed records from the spool", error)
            }
        }
        for (reason, group) in Dictionary(grouping: deadLetters, by: \.reason) {
            do {
                let moved = try spool.moveToDeadLetters(ids: group.map(\.id), reason: reason)
                let totals = spool.totals
                core.state.withLockedValue { $0.spoolMovedToDeadLetters(moved, totals: totals) }
            } catch {
                logProblem("move", "could not move records to the dead-letter area", error)
            }
        }
    }

    /// Logs a recurring spool problem at most once per interval, with a count.
    private mutating func logProblem(_ key: String, _ message: Logger.Message, _ error: any Error) {
        let logger = core.logger
        problems.occurred(key) { suppressed in
            logger.error(message, metadata: ["error": "\(error)", "similar_since_last_line": "\(suppressed)"])
        }
    }

    /// Tops up the delivery loop's replay outbox, no faster than the throttle allows.
    mutating func replay(from spool: Spool?) {
        guard let spool else { return }
        let now = ContinuousClock.now
        let (wanted, outboxCount, inFlight, rewind, configuration) = core.state.withLockedValue { state in
            (state.replay.wanted, state.replay.outbox.count, state.ledger.replayInFlight, state.takeReplayRewind(), state.replay.configuration)
        }
        guard wanted else {
            replaying = false
            if let rewind { cursor = min(cursor, rewind - 1) }
            core.state.withLockedValue { $0.setReplayRate(0) }
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
        if let rewind { cursor = min(cursor, rewind - 1) }
        guard spool.totals.readyCount > 0, outboxCount == 0, inFlight < configuration.batchSize else {
            // Nothing left to replay reads as 0/s, not as the rate the throttle would allow.
            let rate = spool.totals.readyCount > 0 || inFlight > 0 ? throttle.currentRate(at: now) : 0
            core.state.withLockedValue { $0.setReplayRate(rate) }
            return
        }
        let allowed = throttle.available(at: now, limit: configuration.batchSize - inFlight)
        guard allowed > 0 else { return }
        do {
            let records = try spool.readOldest(limit: allowed, after: cursor)
            guard let last = records.last else {
                // Past the newest record, yet some remain behind the cursor (a delete that
                // failed, say): once nothing is in flight or unsettled, start again from the oldest.
                if core.state.withLockedValue({ $0.mayReadReplayFromOldest }) { cursor = 0 }
                return
            }
            throttle.consume(records: records.count, bytes: records.reduce(0) { $0 + $1.record.payloadSize })
            cursor = last.id
            let rate = throttle.currentRate(at: now)
            core.state.withLockedValue { $0.offerReplay(records, rate: rate) }
            core.client.wakeUp()
        } catch {
            logProblem("read", "could not read the spool for replay", error)
        }
    }
}
