import Dispatch
import Logging
import SpillwaySpool

/// The spool's one owner: runs on its own thread, opens the spool (and keeps
/// trying while it cannot), and lends it in turn to the spill writer and the
/// replay reader. It finishes once shutdown has handed it everything, and
/// closes the spool cleanly.
final class SpoolLoop {
    private let core: PipelineCore
    private var spool: Spool?
    private var writer: SpillWriter
    private var reader: ReplayReader
    private var problems = RepeatedLog()
    /// While the spool cannot be opened (another process holds it, say, during a
    /// restart overlap), it is tried again this often.
    private let reopenInterval: Duration = .seconds(2)
    private var nextOpenAttempt = ContinuousClock.now
    private var failedOpens = 0

    init(core: PipelineCore) {
        self.core = core
        writer = SpillWriter(core: core)
        reader = ReplayReader(core: core)
    }

    func run() {
        open()
        while true {
            _ = core.spoolWake.wait(timeout: .now() + .milliseconds(10))
            if spool == nil, ContinuousClock.now >= nextOpenAttempt { open() }
            // Everything there is, before sleeping again.
            while true {
                let (handoff, bookkeeping) = core.state.withLockedValue { ($0.takeHandoff(), $0.takeReplayBookkeeping()) }
                if handoff.ready == nil, handoff.dead.isEmpty, bookkeeping.isEmpty { break }
                writer.write(handoff.dead, into: spool)
                if let ready = handoff.ready { writer.write(ready, into: spool) }
                reader.settle(bookkeeping, in: spool)
            }
            if core.state.withLockedValue({ $0.spoolLoopMayFinish }) { break }
            reader.replay(from: spool)
        }
        spool?.close()
        spool = nil
        core.state.withLockedValue { $0.spoolLoopFinished() }
    }

    /// Opens the spool; on failure, runs without one (records that cannot go to
    /// Kafka are dropped, counted) and tries again every `reopenInterval`.
    private func open() {
        do {
            let spool = try Spool.open(core.configuration.spool, options: .service, logger: core.logger)
            self.spool = spool
            let totals = spool.totals
            let note = spool.quarantinedPath.map { "the spool was corrupt; moved it to \($0) and started a fresh one" }
            let reopened = failedOpens > 0
            core.state.withLockedValue { $0.spoolOpened(totals: totals, note: note, clearsError: reopened) }
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
            core.state.withLockedValue { $0.spoolUnavailable("spool unavailable: \(error)") }
        }
    }
}
