import Foundation
import SpillwaySpool
import SpillwayTestKit
import Testing

/// Issue 21 item 3: `spool_totals` and `next_id` are a cache of the rows. When a
/// hand edit or a damaged page makes them disagree, opening for writing rebuilds
/// them from the rows (and says what it rebuilt), so replay sees every record,
/// bounds count what is there and appends never collide with an id in use.
@Suite struct SpoolTotalsRepairTests {
    /// 50 ready records (ids 1–50) and 2 dead letters (51, 52), closed; returns the totals it wrote.
    static func spool(at path: String) throws -> SpoolTotals {
        try SpoolFixtures.spool(at: path, records: SpoolFixtures.records(0..<50), deadLetters: SpoolFixtures.records(50..<52))
        return try Spool.openForInspection(path: path).totals
    }

    /// A hand edit, as an operator with `sqlite3` would make it.
    static func edit(_ path: String, _ sql: String) throws {
        try SQLiteConnection(path: path, mode: .readWrite).execute(sql)
    }

    @Test func openingForWritingRebuildsTotalsThatDisagreeWithTheRows() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        let right = try Self.spool(at: path)
        #expect(right.readyCount == 50 && right.deadCount == 2 && right.nextID == 53 && right.evictedCount == 0)
        try Self.edit(path, "UPDATE spool_totals SET ready_bytes = -5, ready_count = -7, next_id = -1, dead_count = 9, evicted_count = -3")

        let audit = try Spool.openForInspection(path: path).auditTotals()
        #expect(audit.problems.map(\.column) == ["next_id", "ready_count", "ready_bytes", "dead_count", "evicted_count"])
        #expect(audit.problems.map(\.description).contains("ready_count is -7, should be 50: table records holds 50 rows"))
        #expect(audit.problems.map(\.description).contains("next_id is -1, should be 53: ids up to 52 are in use, so new records would collide with them"))
        #expect(audit.stored.readyCount == -7)
        #expect(audit.rebuilt == right)

        let spool = try SpoolFixtures.open(SpoolConfiguration(path: path))
        #expect(spool.totalsRepairedAtOpen.map(\.column) == ["next_id", "ready_count", "ready_bytes", "dead_count", "evicted_count"])
        #expect(spool.totals == right)
        #expect(try spool.readOldest(limit: 100).map(\.id) == Array(1...50))
        #expect(try spool.append([SpoolFixtures.record(99)]).ids == 53...53)
        spool.close()

        let reopened = try Spool.openForInspection(path: path)
        #expect(try reopened.auditTotals().isConsistent)
        #expect(reopened.totals.readyCount == 51)
        let again = try SpoolFixtures.open(SpoolConfiguration(path: path))
        #expect(again.totalsRepairedAtOpen.isEmpty, "rebuilt once, and written")
        again.close()
    }

    /// `next_id = -1` made the next import fail on `UNIQUE constraint failed: records.id`.
    @Test func importAfterANextIDBehindTheRowsTakesFreshIDs() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        _ = try Self.spool(at: path)
        try Self.edit(path, "UPDATE spool_totals SET next_id = -1")
        let spool = try SpoolFixtures.open(SpoolConfiguration(path: path), options: .maintenance)
        defer { spool.close() }
        let imported = try spool.importRecords(SpoolFixtures.records(60..<63).map { SpooledRecord(id: 0, record: $0, cost: Spool.cost(of: $0)) })
        #expect(imported.ids == 53...55)
        // An id above the rows is still kept, as imports of exports rely on.
        let kept = try spool.importRecords([SpooledRecord(id: 90, record: SpoolFixtures.record(90), cost: Spool.cost(of: SpoolFixtures.record(90)))])
        #expect(kept.ids == 90...90)
        #expect(try spool.count(matching: SpoolQuery(area: .all)) == 56)
    }

    /// Ids are never reused, so a `next_id` beyond the rows is right; one at the
    /// end of the range, leaving no id for the records after it, is not.
    @Test func aNextIDBeyondTheRowsIsKeptButNotOneAtTheEndOfTheRange() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        _ = try Self.spool(at: path)
        try Self.edit(path, "UPDATE spool_totals SET next_id = 1000")
        #expect(try Spool.openForInspection(path: path).auditTotals().isConsistent)

        try Self.edit(path, "UPDATE spool_totals SET next_id = \(Int64.max)")
        let problems = try Spool.openForInspection(path: path).auditTotals().problems
        #expect(problems.map(\.description) == ["next_id is \(Int64.max), should be 53: it is at the end of the id range, so records after it could get no id"])
        let spool = try SpoolFixtures.open(SpoolConfiguration(path: path))
        defer { spool.close() }
        #expect(try spool.append(SpoolFixtures.records(0..<2)).ids == 53...54)
    }

    /// One row at the very end of the id range (a hand edit) does not stop new
    /// records: they get ids above every other row, and that row is replayed last.
    @Test func aRowAtTheEndOfTheIDRangeLeavesIDsForNewRecords() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        _ = try Self.spool(at: path)
        try Self.edit(path, "UPDATE records SET id = \(Int64.max) WHERE id = 50")
        let spool = try SpoolFixtures.open(SpoolConfiguration(path: path))
        defer { spool.close() }
        #expect(spool.totalsRepairedAtOpen.isEmpty)
        #expect(try spool.append([SpoolFixtures.record(99)]).ids == 53...53)
        #expect(try spool.importRecords([SpooledRecord(id: .max - 1, record: SpoolFixtures.record(98), cost: 100)]).ids == 54...54, "a preferred id leaving none after it is not kept")
        #expect(try spool.readOldest(limit: 100).map(\.id).suffix(3) == [53, 54, .max])
    }

    /// A figure stored as text or a float reads as some integer; the audit says
    /// what it holds, and the rebuild writes an integer.
    @Test func figuresStoredAsTextOrFloatAreRewrittenAsIntegers() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        let right = try Self.spool(at: path)
        // (A text that reads as an integer, such as '0', is stored as one: the column's affinity.)
        try Self.edit(path, "UPDATE spool_totals SET ready_bytes = 'lots', dead_bytes = 1e300, escrow_count = '0'")
        let problems = try Spool.openForInspection(path: path).auditTotals().problems
        #expect(problems.map(\.description) == [
            "ready_bytes is 'lots', should be \(right.readyBytes): it is stored as text, not an integer",
            "dead_bytes is 1.0e+300, should be \(right.deadBytes): it is stored as real, not an integer",
        ])
        try SpoolFixtures.open(SpoolConfiguration(path: path)).close()
        let reopened = try Spool.openForInspection(path: path)
        #expect(try reopened.auditTotals().isConsistent)
        #expect(reopened.totals == right)
    }

    /// Costs any integer SQLite can hold, in rows and totals: no writer traps,
    /// a row with a cost no record can have is charged what it holds (so it does
    /// not make appends evict everything), and the totals stay those of the rows.
    @Test(arguments: [Int64.min, Int64.min + 1, -1, Int64.max - 1, Int64.max])
    func writersDoNotTrapOnExtremeStoredCosts(_ value: Int64) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        _ = try Self.spool(at: path)
        try Self.edit(path, """
            UPDATE records SET cost = \(value) WHERE id IN (2, 3, 4, 5);
            UPDATE dead_letters SET cost = \(value);
            UPDATE spool_totals SET ready_bytes = \(value), dead_bytes = \(value), escrow_bytes = \(value), evicted_bytes = \(value);
            """)
        // A record bound that the next append exceeds: it evicts the oldest, extreme costs among them.
        let spool = try SpoolFixtures.open(SpoolConfiguration(path: path, maxRecords: 52))
        #expect(try spool.moveToDeadLetters(ids: [2, 6], reason: "test") == 2)
        #expect(try spool.delete(ids: [3, 7]) == 2)
        _ = try spool.append(SpoolFixtures.records(100..<103))
        _ = try spool.escrow(SpoolFixtures.records(200..<202), keys: [1, 2])
        #expect(try spool.settleEscrow([(key: 1, possiblyPersisted: false)], as: .ready) == 1)
        #expect(try spool.releaseEscrow(keys: [2]) == 1)
        _ = try spool.importRecords([SpooledRecord(id: 0, record: SpoolFixtures.record(300), cost: 100)])
        let held = try spool.count(matching: SpoolQuery(area: .all))
        #expect(held == 52, "the record bound evicted the 3 oldest, no more")
        let problems = try spool.auditTotals().problems
        #expect(problems.isEmpty, "\(problems)")
        #expect(try spool.purge(matching: SpoolQuery(area: .all)).count == held)
        spool.close()

        let reopened = try SpoolFixtures.open(SpoolConfiguration(path: path))
        defer { reopened.close() }
        #expect(reopened.totals.count == 0 && reopened.totals.bytes == 0 && reopened.totals.escrowCount == 0)
        #expect(try reopened.auditTotals().isConsistent)
    }
}
