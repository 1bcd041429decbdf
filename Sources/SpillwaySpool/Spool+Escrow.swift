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
        return (result.appendedCount, result.evictedCount - unwritten, result.evictedBytes.subtractingSaturated(unwrittenBytes))
    }

    /// Carries out one pass of escrow outcomes in one transaction: deletes the
    /// copies in `releases` (Kafka acknowledged them, or the spool holds them
    /// another way), turns those in `toReady` into ready records and those in
    /// `toDeadLetters` into dead letters under their reasons, each with a fresh
    /// spool id and marked possibly persisted where asked. All of it commits or
    /// none of it does, so a failure never leaves a pass half applied (a copy
    /// left in escrow becomes a ready record at the next open). Keys not present
    /// are skipped. Returns how many copies were released and how many moved.
    @discardableResult
    package func applyEscrowOutcomes(
        releases: some Collection<Int64>,
        toReady: some Collection<(key: Int64, possiblyPersisted: Bool)>,
        toDeadLetters: some Collection<(key: Int64, possiblyPersisted: Bool, reason: String)>
    ) throws(SpoolError) -> (released: Int, moved: Int) {
        guard !releases.isEmpty || !toReady.isEmpty || !toDeadLetters.isEmpty else { _ = try writable(); return (0, 0) }
        return try writeTransaction { statements, totals in
            var released = 0
            for key in releases {
                if let cost = try deleteEscrow(key, statements: statements) {
                    released += 1
                    totals.escrowCount.subtractSaturated(1)
                    totals.escrowBytes.subtractSaturated(cost)
                }
            }
            var moved = 0
            for entry in toReady where try settleEscrowCopy(entry.key, possiblyPersisted: entry.possiblyPersisted, as: .ready, statements: statements, totals: &totals) {
                moved += 1
            }
            for entry in toDeadLetters where try settleEscrowCopy(
                entry.key, possiblyPersisted: entry.possiblyPersisted, as: .deadLetter(reason: entry.reason), statements: statements, totals: &totals
            ) {
                moved += 1
            }
            return (released, moved)
        }
    }

    /// Deletes escrow copies Kafka has acknowledged (or that the pipeline no longer
    /// needs), in one transaction. Keys not present are skipped. Returns how many went.
    @discardableResult
    package func releaseEscrow(keys: some Collection<Int64>) throws(SpoolError) -> Int {
        try applyEscrowOutcomes(releases: keys, toReady: EmptyCollection(), toDeadLetters: EmptyCollection()).released
    }

    /// Turns escrow copies into spool records in one transaction: ready ones
    /// (`.ready`, to be replayed) or dead letters, each with a fresh spool id, and
    /// marked possibly persisted where asked. Keys not present are skipped.
    /// Returns how many moved.
    @discardableResult
    package func settleEscrow(_ entries: [(key: Int64, possiblyPersisted: Bool)], as kind: SpoolKind) throws(SpoolError) -> Int {
        switch kind {
        case .ready:
            return try applyEscrowOutcomes(releases: EmptyCollection(), toReady: entries, toDeadLetters: EmptyCollection()).moved
        case .deadLetter(let reason):
            let entries = entries.map { (key: $0.key, possiblyPersisted: $0.possiblyPersisted, reason: reason) }
            return try applyEscrowOutcomes(releases: EmptyCollection(), toReady: EmptyCollection(), toDeadLetters: entries).moved
        }
    }

    /// At open: escrow copies left by a run that ended without settling them (a
    /// crash) become ready records, marked possibly persisted: Kafka may have
    /// acknowledged them just before the crash.
    func recoverEscrow() throws {
        let left = try connection.scalarInt("SELECT count(*) FROM escrow") ?? 0
        guard left > 0 else { return }
        let select = try connection.prepare("SELECT intake_id FROM escrow ORDER BY intake_id")
        var keys: [Int64] = []
        while try select.step() { keys.append(select.int64(0)) }
        let moved = try settleEscrow(keys.map { ($0, true) }, as: .ready)
        logger.notice("escrow copies left by an earlier run are now ready records, marked possibly persisted", metadata: [
            "spool": "\(configuration.path)", "records": "\(moved)",
        ])
    }

    /// Moves one escrow copy to the ready records or the dead letters under the
    /// next spool id; `false` when there was no such copy.
    private func settleEscrowCopy(
        _ key: Int64,
        possiblyPersisted: Bool,
        as kind: SpoolKind,
        statements: Statements,
        totals: inout SpoolTotals
    ) throws -> Bool {
        guard totals.nextID < .max else { throw SpoolError.idsExhausted(path: configuration.path) }
        let copy: SQLiteStatement
        switch kind {
        case .ready:
            copy = statements.copyEscrowToReady
        case .deadLetter(let reason):
            copy = statements.copyEscrowToDead
            copy.bind(reason, at: 4)
        }
        copy.bind(totals.nextID, at: 1)
        copy.bind(Int64(possiblyPersisted ? 1 : 0), at: 2)
        copy.bind(key, at: 3)
        defer { copy.reset() }
        try copy.step()
        guard connection.changes == 1, let cost = try deleteEscrow(key, statements: statements) else { return false }
        totals.nextID += 1
        totals.escrowCount.subtractSaturated(1)
        totals.escrowBytes.subtractSaturated(cost)
        if kind == .ready {
            totals.readyCount.addSaturated(1)
            totals.readyBytes.addSaturated(cost)
        } else {
            totals.deadCount.addSaturated(1)
            totals.deadBytes.addSaturated(cost)
        }
        return true
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
