import Logging
import SpillwaySpool

/// Brings the spool's backlog back to Kafka: reads the oldest records for the
/// delivery loop at the rate the throttle allows, deletes them once Kafka has
/// acknowledged them (never before: at least once), moves the ones Kafka
/// refused to the dead-letter area, and reads again what failed. Runs on the
/// spool loop's thread; whether replay may run at all is `ReplayState`'s rule.
struct ReplayReader {
    private let core: PipelineCore
    /// The spool loop's view of the pipeline state: the reader runs on its thread.
    private let state: SpoolLoopView
    /// Reads records with ids above this.
    private var cursor: Int64 = 0
    private var throttle: ReplayThrottle
    private var replaying = false
    private var problems = RepeatedLog()

    init(core: PipelineCore) {
        self.core = core
        state = core.spooling
        let replay = core.configuration.replay
        throttle = ReplayThrottle(recordsPerSecond: replay.minRecordsPerSecond, bytesPerSecond: replay.bytesPerSecond, batchSize: replay.batchSize, now: .now)
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
        if !bookkeeping.possiblyPersisted.isEmpty {
            do {
                let marked = try spool.markPossiblyPersisted(ids: bookkeeping.possiblyPersisted)
                state.spoolMarkedPossiblyPersisted(marked)
            } catch {
                logProblem("mark", "could not mark replayed records as possibly persisted in the spool", error)
            }
        }
        if !acks.isEmpty {
            do {
                let deleted = try spool.delete(ids: acks)
                let totals = spool.totals
                state.spoolDeleted(deleted, totals: totals)
            } catch {
                // They stay in the spool and will be replayed again: at least once.
                logProblem("delete", "could not delete replayed records from the spool", error)
            }
        }
        for (reason, group) in Dictionary(grouping: deadLetters, by: \.reason) {
            do {
                let moved = try spool.moveToDeadLetters(ids: group.map(\.id), reason: reason)
                let totals = spool.totals
                state.spoolMovedToDeadLetters(moved, totals: totals)
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

    /// Tops up the delivery loop's replay outbox, no faster than the rate the
    /// replay controller allows.
    mutating func replay(from spool: Spool?) {
        guard let spool else { return }
        let now = ContinuousClock.now
        let reading = state.startReplayReading()
        let (outboxCount, inFlight, rewind, configuration) = (reading.outboxCount, reading.inFlight, reading.rewind, reading.configuration)
        guard reading.wanted else {
            replaying = false
            if let rewind { cursor = min(cursor, rewind - 1) }
            return
        }
        throttle.setRate(recordsPerSecond: max(reading.rate, configuration.minRecordsPerSecond), bytesPerSecond: configuration.bytesPerSecond)
        if !replaying {
            replaying = true
            throttle.restart(at: now)
            if spool.totals.readyCount > 0 {
                core.logger.info("replaying the spool", metadata: ["ready": "\(spool.totals.readyCount)"])
            }
        }
        if let rewind { cursor = min(cursor, rewind - 1) }
        let window = Self.window(records: configuration.batchSize, bytes: core.configuration.queue.maxBytes / 2, totals: spool.totals)
        guard spool.totals.readyCount > 0, outboxCount == 0, inFlight < window else { return }
        let allowed = throttle.available(at: now, limit: window - inFlight)
        guard allowed > 0 else { return }
        do {
            let page = try spool.readForReplay(limit: allowed, after: cursor)
            if !page.quarantined.isEmpty {
                // The spool moved them to the dead letters and logged each with its id.
                state.spoolQuarantined(page.quarantined.count, totals: spool.totals)
            }
            guard let last = page.lastID else {
                // Past the newest record, yet some remain behind the cursor (a delete that
                // failed, say): once nothing is in flight or unsettled, start again from the oldest.
                if state.mayReadReplayFromOldest { cursor = 0 }
                return
            }
            cursor = last
            guard !page.records.isEmpty else { return }
            let records = page.records
            throttle.consume(records: records.count, bytes: records.reduce(0) { $0 + $1.record.payloadSize })
            state.offerReplay(records)
            core.client.wakeUp()
        } catch {
            logProblem("read", "could not read the spool for replay", error)
        }
    }

    /// How many replayed records may be in flight: the configured window, fewer
    /// when the spool's records are large, so that the window holds about
    /// `bytes` (half the live queue's memory bound) at their average stored
    /// size. A window of 5,000 records of 1 MB would otherwise put 5 GB in
    /// memory; one of 100-byte records is not cut at all.
    static func window(records: Int, bytes: Int, totals: SpoolTotals) -> Int {
        guard totals.readyCount > 0, totals.readyBytes > 0 else { return records }
        let average = max(1, totals.readyBytes / totals.readyCount)
        return max(1, min(records, bytes / average))
    }
}
