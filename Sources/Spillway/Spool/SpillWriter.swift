import Logging
import SpillwaySpool

/// Writes what the pipeline spills into the spool: the hand-off in batched
/// transactions, and dead letters grouped by reason. Each batch is answered to
/// the pipeline state at once (written, evicting some, or failed), so the
/// ledger follows the disk. Runs on the spool loop's thread.
struct SpillWriter {
    private let core: PipelineCore
    private var problems = RepeatedLog()

    init(core: PipelineCore) {
        self.core = core
    }

    /// Writes a chunk taken from the hand-off, `spool.batch_size` records per transaction.
    mutating func write(_ chunk: HandoffQueue.Chunk, into spool: Spool?) {
        var batch: [Record] = []
        batch.reserveCapacity(min(chunk.records.count, core.configuration.spoolBatchSize))
        var bytes = 0
        for pending in chunk.records {
            batch.append(pending.record)
            bytes += pending.size
            if batch.count == core.configuration.spoolBatchSize {
                write(batch, bytes: bytes, into: spool)
                batch.removeAll(keepingCapacity: true)
                bytes = 0
            }
        }
        if !batch.isEmpty { write(batch, bytes: bytes, into: spool) }
    }

    /// Writes dead letters, one transaction per run of the same reason.
    mutating func write(_ deadLetters: [DeadLetter], into spool: Spool?) {
        var start = 0
        while start < deadLetters.count {
            let reason = deadLetters[start].reason
            var end = start + 1
            while end < deadLetters.count, deadLetters[end].reason == reason { end += 1 }
            let run = deadLetters[start..<end]
            write(run.map(\.pending.record), bytes: run.reduce(0) { $0 + $1.pending.size }, into: spool, as: .deadLetter(reason: reason))
            start = end
        }
    }

    private mutating func write(_ records: [Record], bytes: Int, into spool: Spool?, as kind: SpoolKind = .ready) {
        guard let spool else {
            // No spool: counted as dropped like any other record that cannot be kept.
            core.state.withLockedValue { $0.spoolFailed(records.count, bytes: bytes, reason: .spoolUnavailable, error: nil) }
            return
        }
        do {
            let result = try spool.append(records, as: kind)
            let deadLettered: Int
            if case .deadLetter(let reason) = kind {
                deadLettered = result.appendedCount
                problems.occurred("dead:" + reason) { suppressed in
                    core.logger.warning("Kafka refused records; kept as dead letters", metadata: [
                        "records": "\(records.count)", "reason": "\(reason)", "similar_since_last_line": "\(suppressed)",
                    ])
                }
            } else {
                deadLettered = 0
            }
            let totals = spool.totals
            core.state.withLockedValue {
                $0.spoolWrote(records.count, bytes: bytes, evicted: result.evictedCount, deadLettered: deadLettered, totals: totals)
            }
        } catch {
            problems.occurred("append") { suppressed in
                core.logger.error("spool append failed; batch dropped", metadata: [
                    "records": "\(records.count)", "error": "\(error)", "similar_since_last_line": "\(suppressed)",
                ])
            }
            core.state.withLockedValue { $0.spoolFailed(records.count, bytes: bytes, reason: .spoolFailed, error: "spool append failed: \(error)") }
        }
    }
}
