import DequeModule
import Dispatch
import Logging
import SpillwaySpool

/// The spool's one owner: runs on its own thread, opens the spool (and keeps
/// trying while it cannot), and lends it in turn to the spill writer and the
/// replay reader. It finishes once shutdown has handed it everything, and
/// closes the spool cleanly.
final class SpoolLoop {
    private let core: PipelineCore
    /// All the spool loop may do to the pipeline state.
    private let state: SpoolLoopView
    private var spool: Spool?
    private var writer: SpillWriter
    private var reader: ReplayReader
    private var problems = RepeatedLog()
    /// While the spool cannot be opened (another process holds it, say, during a
    /// restart overlap), it is tried again this often.
    private let reopenInterval: Duration = .seconds(2)
    private var nextOpenAttempt = ContinuousClock.now
    /// Records went through the spool since its page cache was last given back.
    private var cacheInUse = false
    private var failedOpens = 0

    init(core: PipelineCore) {
        self.core = core
        state = core.spooling
        writer = SpillWriter(core: core)
        reader = ReplayReader(core: core)
    }

    func run() {
        open()
        while true {
            if state.markIdle() {
                releaseCacheOnceDrained()
                _ = state.wake.wait(timeout: .now() + .milliseconds(10))
            }
            if spool == nil, ContinuousClock.now >= nextOpenAttempt { open() }
            // Everything there is, before sleeping again. Escrow copies first: callers
            // at level kafka past their deadline are answered once theirs is committed.
            while true {
                let work = state.takeWork(now: .now, escrowBatch: core.configuration.spoolBatchSize)
                if work.isEmpty { break }
                cacheInUse = true
                writer.writeEscrow(work.escrow, into: spool)
                settle(work.escrowBookkeeping)
                writer.write(work.handoff.dead, into: spool)
                if let ready = work.handoff.ready { writer.write(ready, into: spool) }
                reader.settle(work.replayBookkeeping, in: spool)
                findCallers(in: work.droppedToScan)
            }
            saveTopicPartitions()
            if state.mayFinish { break }
            reader.replay(from: spool)
        }
        spool?.close()
        spool = nil
        state.finished()
    }

    /// Gives SQLite's page cache back once the spool holds nothing (the backlog
    /// replayed), so an idle service does not keep an outage's pages for good.
    /// A cache under `cacheWorthReleasing` is kept: escrow copies written and
    /// deleted under steady traffic at level `spool` touch a few pages, which
    /// every transaction would otherwise read again.
    private func releaseCacheOnceDrained() {
        guard cacheInUse, let spool, spool.totals.heldCount == 0 else { return }
        cacheInUse = false
        if spool.cachedBytes >= Self.cacheWorthReleasing { spool.releaseCachedPages() }
    }

    /// A page cache this large is an outage's, not steady traffic's.
    static let cacheWorthReleasing = 1 << 20

    /// Carries out what became of committed escrow copies: released once Kafka
    /// acknowledged the record, or settled into the spool when its delivery failed,
    /// all in one transaction. On an error the copies stay in escrow, and the next start makes them ready records.
    private func settle(_ bookkeeping: EscrowBook.Bookkeeping) {
        guard !bookkeeping.isEmpty, let spool else { return }
        do {
            try spool.applyEscrowOutcomes(releases: bookkeeping.releases, toReady: bookkeeping.toReady, toDeadLetters: bookkeeping.toDeadLetters)
        } catch {
            problems.occurred("escrow-settle") { suppressed in
                core.logger.error("could not release or settle escrow copies; they become ready records at the next start", metadata: [
                    "error": "\(error)", "similar_since_last_line": "\(suppressed)",
                ])
            }
        }
        let totals = spool.totals
        state.escrowSettled(totals: totals)
    }

    /// Finds the callers of records in live queues dropped whole (no spool), outside the lock.
    private func findCallers(in queues: [Deque<PendingRecord>]) {
        guard !queues.isEmpty else { return }
        let ids = queues.flatMap { $0.lazy.filter { $0.ack != .memory }.map(\.id) }
        state.droppedAwaitingFound(ids)
    }

    /// Opens the spool; on failure, runs without one (records that cannot go to
    /// Kafka are dropped, counted) and tries again every `reopenInterval`.
    private func open() {
        do {
            // Replay sends only what intake would take now: a row over the record limit is
            // quarantined. Intake checks the size before it adds the record id header: so does this.
            var configuration = core.configuration.spool
            let idHeaderBytes = core.configuration.recordIDHeader.map { $0.utf8.count + RecordIDs.maxIDBytes } ?? 0
            configuration.rowRules.maxRecordBytes = core.configuration.maxRecordBytes + idHeaderBytes
            let spool = try Spool.open(configuration, options: .service, logger: core.logger)
            self.spool = spool
            rememberTopicPartitions(from: spool)
            let totals = spool.totals
            let note = spool.quarantinedPath.map { "the spool was corrupt; moved it to \($0) and started a fresh one" }
            let reopened = failedOpens > 0
            state.spoolOpened(totals: totals, note: note, clearsError: reopened)
            if reopened {
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
            state.spoolUnavailable("spool unavailable: \(error)")
        }
    }

    // MARK: Partition counts

    /// The counts a run before this one learnt, for the Kafka listener until the cluster answers.
    private func rememberTopicPartitions(from spool: Spool) {
        do {
            core.partitions.remember(try spool.topicPartitions())
        } catch {
            core.logger.warning("could not read the remembered partition counts; the cluster is asked again", metadata: ["error": "\(error)"])
        }
    }

    /// Keeps counts the cluster gave since the last round; on an error they are tried again later.
    private func saveTopicPartitions() {
        guard let spool else { return }
        let counts = core.partitions.takeUnsaved()
        guard !counts.isEmpty else { return }
        do {
            try spool.rememberTopicPartitions(counts, now: WallClock.milliseconds())
        } catch {
            core.partitions.markUnsaved(counts)
            problems.occurred("topic-partitions") { suppressed in
                core.logger.warning("could not remember partition counts in the spool", metadata: [
                    "error": "\(error)", "similar_since_last_line": "\(suppressed)",
                ])
            }
        }
    }
}
