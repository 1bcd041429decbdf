/// Escrow: copies of records the pipeline sends to Kafka at acknowledgement level
/// `kafka`, written beside the live send so the caller's promise survives a crash.
/// Kafka's acknowledgement releases a copy; a failed delivery settles it into the
/// spool proper (a ready record, or a dead letter) instead of spilling a second
/// copy; a copy a crashed run left behind becomes a ready record at the next open.
/// Replay never reads escrow copies.
extension Spool {
    /// Writes escrow copies in one transaction, each under its key (the pipeline's
    /// intake id). Makes room like `append` (oldest ready records first, then
    /// dead letters; never other escrow copies). Returns how many were kept: the
    /// newest `keptCount`; older ones of the batch were not written (no room).
    package func escrow(_ records: [Record], keys: [Int64]) throws(SpoolError) -> (keptCount: Int, evictedCount: Int, evictedBytes: Int) {
        precondition(records.count == keys.count, "one key per escrow copy")
        let result = try append(records, to: .escrow(keys: keys), preferredIDs: nil)
        // The batch's own oldest that found no room are not evicted rows: they were never written.
        let unwritten = records.count - result.appendedCount
        let unwrittenBytes = records.prefix(unwritten).reduce(0) { $0 + Self.cost(of: $1) }
        return (result.appendedCount, result.evictedCount - unwritten, result.evictedBytes - unwrittenBytes)
    }

    /// Deletes escrow copies Kafka has acknowledged (or that the pipeline no longer
    /// needs), in one transaction. Keys not present are skipped. Returns how many went.
    @discardableResult
    package func releaseEscrow(keys: some Collection<Int64>) throws(SpoolError) -> Int {
        let statements = try writable()
        guard !keys.isEmpty else { return 0 }
        do {
            var next = totals
            let released = try connection.transaction {
                var released = 0
                for key in keys {
                    if let cost = try deleteEscrow(key, statements: statements) {
                        released += 1
                        next.escrowCount -= 1
                        next.escrowBytes -= cost
                    }
                }
                try writeTotals(next, using: statements.updateTotals)
                return released
            }
            totals = next
            return released
        } catch {
            throw mapError(error)
        }
    }

    /// Turns escrow copies into spool records in one transaction: ready ones
    /// (`.ready`, to be replayed) or dead letters, each with a fresh spool id, and
    /// marked possibly persisted where asked. Keys not present are skipped.
    /// Returns how many moved.
    @discardableResult
    package func settleEscrow(_ entries: [(key: Int64, possiblyPersisted: Bool)], as kind: SpoolKind) throws(SpoolError) -> Int {
        let statements = try writable()
        guard !entries.isEmpty else { return 0 }
        do {
            var next = totals
            let moved = try connection.transaction {
                try settleEscrowInTransaction(entries, as: kind, statements: statements, totals: &next)
            }
            totals = next
            return moved
        } catch {
            throw mapError(error)
        }
    }

    /// At open: escrow copies left by a run that ended without settling them (a
    /// crash) become ready records, marked possibly persisted: Kafka may have
    /// acknowledged them just before the crash.
    func recoverEscrow() throws {
        let left = try connection.scalarInt("SELECT count(*) FROM escrow") ?? 0
        guard left > 0 else { return }
        let statements = try writable()
        let select = try connection.prepare("SELECT intake_id FROM escrow ORDER BY intake_id")
        var keys: [Int64] = []
        while try select.step() { keys.append(select.int64(0)) }
        var next = totals
        let moved = try connection.transaction {
            try settleEscrowInTransaction(keys.map { ($0, true) }, as: .ready, statements: statements, totals: &next)
        }
        totals = next
        logger.notice("escrow copies left by an earlier run are now ready records, marked possibly persisted", metadata: [
            "spool": "\(configuration.path)", "records": "\(moved)",
        ])
    }

    private func settleEscrowInTransaction(
        _ entries: [(key: Int64, possiblyPersisted: Bool)],
        as kind: SpoolKind,
        statements: Statements,
        totals: inout SpoolTotals
    ) throws -> Int {
        var moved = 0
        for entry in entries {
            let copy: SQLiteStatement
            switch kind {
            case .ready:
                copy = statements.copyEscrowToReady
            case .deadLetter(let reason):
                copy = statements.copyEscrowToDead
                copy.bind(reason, at: 4)
            }
            copy.bind(totals.nextID, at: 1)
            copy.bind(Int64(entry.possiblyPersisted ? 1 : 0), at: 2)
            copy.bind(entry.key, at: 3)
            try copy.step()
            copy.reset()
            guard connection.changes == 1, let cost = try deleteEscrow(entry.key, statements: statements) else { continue }
            totals.nextID += 1
            totals.escrowCount -= 1
            totals.escrowBytes -= cost
            moved += 1
            if kind == .ready {
                totals.readyCount += 1
                totals.readyBytes += cost
            } else {
                totals.deadCount += 1
                totals.deadBytes += cost
            }
        }
        try writeTotals(totals, using: statements.updateTotals)
        return moved
    }

    /// Deletes one escrow copy; its cost, or `nil` when there was none.
    private func deleteEscrow(_ key: Int64, statements: Statements) throws -> Int? {
        let delete = statements.deleteEscrowReturningCost
        delete.bind(key, at: 1)
        defer { delete.reset() }
        guard try delete.step() else { return nil }
        return Int(delete.int64(0))
    }
}
