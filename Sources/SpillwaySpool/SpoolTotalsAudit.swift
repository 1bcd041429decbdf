import CSQLite

/// `spool_totals` held against the rows it sums. The totals are a cache kept so
/// that reading counts never scans; the rows are the truth. A hand edit or a
/// damaged page can make them disagree, and then replay stops early (it waits
/// for a ready count that is never positive) or an append collides with an id
/// in use (`next_id` behind the rows), so every writer audits them at open.
///
/// One statement, so one snapshot: per table a count and the sum of what its
/// rows are charged (one pass over its rows) and the largest id (the last
/// entry of the primary key).
package struct SpoolTotalsAudit: Sendable, Hashable {
    /// The figures as the file holds them, read as integers.
    package let stored: SpoolTotals
    /// The figures the rows say: counts and charged bytes per table, and a
    /// `next_id` above every id in use. The lifetime eviction figures, which no
    /// row records, are kept as stored unless negative.
    package let rebuilt: SpoolTotals
    /// Each figure that disagrees, in column order; empty when the totals are right.
    package let problems: [SpoolTotalsProblem]

    package var isConsistent: Bool { problems.isEmpty }

    /// The columns of `spool_totals` this audits, in the file's order.
    static let columns = [
        "next_id", "ready_count", "ready_bytes", "dead_count", "dead_bytes",
        "evicted_count", "evicted_bytes", "escrow_count", "escrow_bytes",
    ]

    /// Ids at the very end of the range, which leave no id after them: only a
    /// damaged or hand-edited row holds one. `next_id` goes above every other id
    /// (such a row is then replayed last, and new records still get ids) rather
    /// than refusing every write for one bad row.
    static let idsLeavingNoRoom: Int64 = .max - 1

    /// Per table its row count, the sum of what its rows are charged
    /// (`Statements.chargedCost`, as writers charge them) and its largest id;
    /// then per stored column its value, type and SQL literal.
    static let sql = """
        SELECT r.n, r.bytes, (SELECT max(id) FROM records WHERE id < \(idsLeavingNoRoom)),
            d.n, d.bytes, (SELECT max(id) FROM dead_letters WHERE id < \(idsLeavingNoRoom)),
            e.n, e.bytes,
            \(columns.map { "t.\($0), typeof(t.\($0)), quote(t.\($0))" }.joined(separator: ", "))
        FROM \(tableSums("records")) AS r, \(tableSums("dead_letters")) AS d, \(tableSums("escrow")) AS e, spool_totals AS t
        WHERE t.singleton = 1
        """

    /// A table's row count and charged bytes, in one pass. A charge is a few GiB
    /// at most (a cost past 4 GiB is charged what the row holds), so the sum
    /// cannot overflow at any number of rows a spool holds.
    private static func tableSums(_ table: String) -> String {
        "(SELECT count(*) AS n, coalesce(sum(\(Spool.Statements.chargedCost)), 0) AS bytes FROM \(table))"
    }

    static func read(_ connection: SQLiteConnection) throws -> SpoolTotalsAudit {
        let statement = try connection.prepare(sql)
        guard try statement.step() else {
            throw SQLiteError(code: SQLITE_CORRUPT, message: "the spool_totals row is missing")
        }
        let rows = Rows(
            readyCount: statement.int64(0), readyBytes: statement.int64(1), readyMaxID: statement.optionalInt64(2),
            deadCount: statement.int64(3), deadBytes: statement.int64(4), deadMaxID: statement.optionalInt64(5),
            escrowCount: statement.int64(6), escrowBytes: statement.int64(7)
        )
        var stored: [String: StoredFigure] = [:]
        for (offset, column) in columns.enumerated() {
            let index = Int32(8 + 3 * offset)
            stored[column] = StoredFigure(value: statement.int64(index), type: statement.text(index + 1), literal: statement.text(index + 2))
        }
        return SpoolTotalsAudit(rows: rows, stored: stored)
    }

    /// What the rows hold, as the audit's statement reads them.
    struct Rows {
        var readyCount: Int64
        var readyBytes: Int64
        var readyMaxID: Int64?
        var deadCount: Int64
        var deadBytes: Int64
        var deadMaxID: Int64?
        var escrowCount: Int64
        var escrowBytes: Int64

        /// The smallest `next_id` that collides with no row: above the largest id
        /// (below `idsLeavingNoRoom`), and at least 1 (replay reads ids above 0).
        /// Escrow keys are not spool ids.
        var smallestNextID: Int64 {
            max(1, max(readyMaxID ?? 0, deadMaxID ?? 0) + 1)
        }
    }

    /// One stored figure: its value read as an integer, SQLite's type and its SQL literal.
    struct StoredFigure {
        var value: Int64
        var type: String
        var literal: String
    }

    init(rows: Rows, stored: [String: StoredFigure]) {
        var problems: [SpoolTotalsProblem] = []
        /// The figure `column` should hold; records a problem when the file holds
        /// anything else, an integer stored as text or a float included.
        func expect(_ column: String, _ expected: Int64, _ reason: @autoclosure () -> String) -> Int64 {
            let figure = stored[column]!
            if figure.type != "integer" {
                problems.append(SpoolTotalsProblem(column: column, stored: figure.literal, rebuilt: expected, reason: "it is stored as \(figure.type), not an integer"))
            } else if figure.value != expected {
                problems.append(SpoolTotalsProblem(column: column, stored: figure.literal, rebuilt: expected, reason: reason()))
            }
            return expected
        }
        func value(_ column: String) -> Int64 { stored[column]!.value }

        // Ids are never reused, so a next_id beyond the rows is right (their records were deleted),
        // but one that leaves no id for a new record is not, when the rows do not force it.
        let smallest = rows.smallestNextID
        let storedNextID = value("next_id")
        let nextIDReason: String
        let nextID: Int64
        if storedNextID < smallest {
            nextID = smallest
            nextIDReason = smallest > 1
                ? "ids up to \(smallest - 1) are in use, so new records would collide with them"
                : "ids start at 1 (replay reads ids above 0)"
        } else if storedNextID >= Self.idsLeavingNoRoom {
            nextID = smallest
            nextIDReason = "it is at the end of the id range, so records after it could get no id"
        } else {
            nextID = storedNextID
            nextIDReason = ""
        }

        var rebuilt = SpoolTotals()
        rebuilt.nextID = expect("next_id", nextID, nextIDReason)
        rebuilt.readyCount = Int(expect("ready_count", rows.readyCount, "table records holds \(rows.readyCount) rows"))
        rebuilt.readyBytes = Int(expect("ready_bytes", rows.readyBytes, "the \(rows.readyCount) rows in records are charged \(rows.readyBytes) bytes"))
        rebuilt.deadCount = Int(expect("dead_count", rows.deadCount, "table dead_letters holds \(rows.deadCount) rows"))
        rebuilt.deadBytes = Int(expect("dead_bytes", rows.deadBytes, "the \(rows.deadCount) rows in dead_letters are charged \(rows.deadBytes) bytes"))
        rebuilt.evictedCount = Int(expect("evicted_count", max(0, value("evicted_count")), "a lifetime count cannot be negative"))
        rebuilt.evictedBytes = Int(expect("evicted_bytes", max(0, value("evicted_bytes")), "a lifetime sum of charged bytes cannot be negative"))
        rebuilt.escrowCount = Int(expect("escrow_count", rows.escrowCount, "table escrow holds \(rows.escrowCount) rows"))
        rebuilt.escrowBytes = Int(expect("escrow_bytes", rows.escrowBytes, "the \(rows.escrowCount) rows in escrow are charged \(rows.escrowBytes) bytes"))

        var asStored = SpoolTotals()
        asStored.nextID = value("next_id")
        asStored.readyCount = Int(value("ready_count"))
        asStored.readyBytes = Int(value("ready_bytes"))
        asStored.deadCount = Int(value("dead_count"))
        asStored.deadBytes = Int(value("dead_bytes"))
        asStored.evictedCount = Int(value("evicted_count"))
        asStored.evictedBytes = Int(value("evicted_bytes"))
        asStored.escrowCount = Int(value("escrow_count"))
        asStored.escrowBytes = Int(value("escrow_bytes"))
        self.stored = asStored
        self.rebuilt = rebuilt
        self.problems = problems
    }
}
