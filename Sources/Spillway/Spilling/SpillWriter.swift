import Logging
import SpillwaySpool

/// Writes what the pipeline spills into the spool: the hand-off in batched
/// transactions, dead letters grouped by reason, and escrow copies of `kafka`
/// records. Each batch is answered to the pipeline state at once (written,
/// evicting some, or failed), so the ledger follows the disk; callers waiting on
/// its records are answered right after the transaction that committed them
/// (many callers, one commit). Runs on the spool loop's thread.
struct SpillWriter {
    private let core: PipelineCore
    /// The spool loop's view of the pipeline state: the writer runs on its thread.
    private let state: SpoolLoopView
    private var problems = RepeatedLog()

    init(core: PipelineCore) {
        self.core = core
        state = core.spooling
    }

    /// Writes a chunk taken from the hand-off, `spool.batch_size` records per transaction.
    mutating func write(_ chunk: HandoffQueue.Chunk, into spool: Spool?) {
        let batchSize = core.configuration.spoolBatchSize
        var batch = Batch(capacity: min(chunk.records.count, batchSize))
        for pending in chunk.records {
            batch.add(pending)
            if batch.records.count == batchSize {
                write(batch, into: spool)
                batch.removeAll()
            }
        }
        if !batch.records.isEmpty { write(batch, into: spool) }
    }

    /// Writes dead letters, one transaction per run of the same reason.
    mutating func write(_ deadLetters: [DeadLetter], into spool: Spool?) {
        var start = 0
        while start < deadLetters.count {
            let reason = deadLetters[start].reason
            var end = start + 1
            while end < deadLetters.count, deadLetters[end].reason == reason { end += 1 }
            var batch = Batch(capacity: end - start)
            for deadLetter in deadLetters[start..<end] { batch.add(deadLetter.pending) }
            write(batch, into: spool, as: .deadLetter(reason: reason))
            start = end
        }
    }

    /// Writes escrow copies of `kafka` records sent live, in one transaction.
    mutating func writeEscrow(_ copies: [PendingRecord], into spool: Spool?) {
        guard !copies.isEmpty else { return }
        let ids = copies.map(\.id)
        guard let spool else {
            // No spool: those records are only live; their callers wait for Kafka.
            state.escrowFailed(ids, error: nil)
            return
        }
        do {
            let result = try spool.escrow(copies.map(\.record), keys: ids.map { Int64(bitPattern: $0) })
            let unwritten = copies.count - result.keptCount
            let totals = spool.totals
            state.escrowWrote(Array(ids[unwritten...]), unwritten: Array(ids[..<unwritten]), evicted: result.evictedCount, totals: totals)
        } catch {
            problems.occurred("escrow") { suppressed in
                core.logger.error("escrow copies could not be written; those records are only in memory until Kafka answers", metadata: [
                    "records": "\(copies.count)", "error": "\(error)", "similar_since_last_line": "\(suppressed)",
                ])
            }
            state.escrowFailed(ids, error: "spool escrow write failed: \(error)")
        }
    }

    /// One transaction's worth of records, and which of them callers wait on.
    private struct Batch {
        var records: [Record] = []
        var bytes = 0
        /// Callers' records, with their position in `records`.
        var awaited: [(index: Int, record: AwaitedRecord)] = []

        init(capacity: Int) {
            records.reserveCapacity(capacity)
        }

        mutating func add(_ pending: PendingRecord) {
            if pending.ack != .memory {
                awaited.append((records.count, AwaitedRecord(id: pending.id, size: pending.size, level: pending.ack)))
            }
            records.append(pending.record)
            bytes += pending.size
        }

        mutating func removeAll() {
            records.removeAll(keepingCapacity: true)
            awaited.removeAll(keepingCapacity: true)
            bytes = 0
        }
    }

    private mutating func write(_ batch: Batch, into spool: Spool?, as kind: SpoolKind = .ready) {
        let records = batch.records
        let bytes = batch.bytes
        let deadLetterReason: String?
        if case .deadLetter(let reason) = kind { deadLetterReason = reason } else { deadLetterReason = nil }
        guard let spool else {
            // No spool: counted as dropped like any other record that cannot be kept.
            state.spoolFailed(records.count, bytes: bytes, reason: .spoolUnavailable, error: nil, awaited: batch.awaited.map(\.record), deadLetterReason: deadLetterReason)
            return
        }
        do {
            let result = try spool.append(records, as: kind)
            let deadLettered: Int
            if let deadLetterReason {
                deadLettered = result.appendedCount
                problems.occurred("dead:" + deadLetterReason) { suppressed in
                    core.logger.warning("Kafka refused records; kept as dead letters", metadata: [
                        "records": "\(records.count)", "reason": "\(deadLetterReason)", "similar_since_last_line": "\(suppressed)",
                    ])
                }
            } else {
                deadLettered = 0
            }
            // The batch's oldest found no room when it alone is more than the bounds allow.
            let firstWritten = records.count - result.appendedCount
            let written = batch.awaited.filter { $0.index >= firstWritten }.map(\.record)
            let unwritten = batch.awaited.filter { $0.index < firstWritten }.map(\.record)
            let totals = spool.totals
            state.spoolWrote(
                records.count, bytes: bytes, evicted: result.evictedCount, deadLettered: deadLettered, totals: totals,
                written: written, unwritten: unwritten, deadLetterReason: deadLetterReason
            )
        } catch {
            problems.occurred("append") { suppressed in
                core.logger.error("spool append failed; batch dropped", metadata: [
                    "records": "\(records.count)", "error": "\(error)", "similar_since_last_line": "\(suppressed)",
                ])
            }
            state.spoolFailed(
                records.count, bytes: bytes, reason: .spoolFailed, error: "spool append failed: \(error)",
                awaited: batch.awaited.map(\.record), deadLetterReason: deadLetterReason
            )
        }
    }
}
