import CSQLite
import Logging

/// The one place a write transaction and the `spool_totals` row meet: every
/// mutating call runs its rows inside `writeTransaction`, changes a copy of the
/// totals, and the copy is written to the file in the same transaction and
/// kept in memory only once that transaction committed. A rolled-back
/// transaction leaves both as they were.
extension Spool {
    /// Runs `body` in one IMMEDIATE transaction with the writer's statements and
    /// a copy of the totals to change; writes the changed totals before the
    /// commit and keeps them after it. Errors come back as `SpoolError`.
    func writeTransaction<T>(_ body: (Statements, inout SpoolTotals) throws -> T) throws(SpoolError) -> T {
        let statements = try writable()
        do {
            return try inWriteTransaction(statements, body)
        } catch {
            throw mapError(error)
        }
    }

    /// `writeTransaction` for a caller that has its statements already and wants
    /// SQLite's own errors (`append` tells its page cap from a full disk).
    @inline(__always)
    func inWriteTransaction<T>(_ statements: Statements, _ body: (Statements, inout SpoolTotals) throws -> T) throws -> T {
        var next = totals
        let result = try connection.transaction {
            let result = try body(statements, &next)
            if next != totals { try writeTotals(next, using: statements.updateTotals) }
            return result
        }
        totals = next
        return result
    }

    /// Holds `spool_totals` and `next_id` against the rows, in one statement.
    /// Read-only: `spool check` runs it beside a running service.
    package func auditTotals() throws(SpoolError) -> SpoolTotalsAudit {
        do {
            return try SpoolTotalsAudit.read(connection)
        } catch {
            throw mapError(error)
        }
    }

    /// Rebuilds `spool_totals` from the rows where they disagree, in one
    /// transaction (the audit is read inside it, so nothing changes between),
    /// and logs a warning naming each figure, old and new. Every open for
    /// writing runs it before anything else writes: a wrong ready count stops
    /// replay early, a `next_id` behind the rows makes appends collide.
    /// Returns the audit: its problems are what was repaired.
    @discardableResult
    package func repairTotals() throws(SpoolError) -> SpoolTotalsAudit {
        let audit = try writeTransaction { statements, totals in
            let audit = try SpoolTotalsAudit.read(connection)
            if !audit.isConsistent {
                totals = audit.rebuilt
                // Written even when the integers read equal: a figure stored as text or a float is rewritten.
                try writeTotals(totals, using: statements.updateTotals)
            }
            return audit
        }
        if !audit.isConsistent {
            var metadata: Logger.Metadata = ["spool": "\(configuration.path)"]
            for problem in audit.problems {
                metadata[problem.column] = "\(problem.stored) -> \(problem.rebuilt) (\(problem.reason))"
            }
            logger.warning("spool totals disagreed with the rows; rebuilt them from the rows", metadata: metadata)
        }
        return audit
    }

    private func writeTotals(_ totals: SpoolTotals, using statement: SQLiteStatement) throws {
        defer { statement.reset() }
        statement.bind(totals.nextID, at: 1)
        statement.bind(Int64(totals.readyCount), at: 2)
        statement.bind(Int64(totals.readyBytes), at: 3)
        statement.bind(Int64(totals.deadCount), at: 4)
        statement.bind(Int64(totals.deadBytes), at: 5)
        statement.bind(Int64(totals.evictedCount), at: 6)
        statement.bind(Int64(totals.evictedBytes), at: 7)
        statement.bind(Int64(totals.escrowCount), at: 8)
        statement.bind(Int64(totals.escrowBytes), at: 9)
        try statement.step()
    }

    static func readTotals(_ connection: SQLiteConnection) throws -> SpoolTotals {
        let statement = try connection.prepare(
            "SELECT next_id, ready_count, ready_bytes, dead_count, dead_bytes, evicted_count, evicted_bytes, escrow_count, escrow_bytes FROM spool_totals WHERE singleton = 1"
        )
        guard try statement.step() else {
            throw SQLiteError(code: SQLITE_CORRUPT, message: "the spool_totals row is missing")
        }
        // Read as integers whatever they hold; `SpoolTotalsAudit` tells which are wrong.
        var totals = SpoolTotals()
        totals.nextID = statement.int64(0)
        totals.readyCount = Int(statement.int64(1))
        totals.readyBytes = Int(statement.int64(2))
        totals.deadCount = Int(statement.int64(3))
        totals.deadBytes = Int(statement.int64(4))
        totals.evictedCount = Int(statement.int64(5))
        totals.evictedBytes = Int(statement.int64(6))
        totals.escrowCount = Int(statement.int64(7))
        totals.escrowBytes = Int(statement.int64(8))
        return totals
    }
}
