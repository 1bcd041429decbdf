import Foundation
@testable import SpillwaySpool
import SpillwayTestKit
import Testing

/// One bad row never stops the spool: a row that breaks the rules intake
/// applies is quarantined (moved to the dead letters with a reason naming the
/// column) and everything around it is replayed, listed and counted as usual.
@Suite struct SpoolQuarantineTests {
    /// A damage done to a row by hand (record 11 of 20 here), and the column it must be blamed on.
    struct Damage: Sendable, CustomTestStringConvertible {
        var sql: String
        var field: SpoolRowProblem.Field
        var testDescription: String { sql }
    }

    static let damages: [Damage] = [
        Damage(sql: "UPDATE records SET headers = X'FFFFFFFF00' WHERE id = 11", field: .headers),
        Damage(sql: "UPDATE records SET headers = 42 WHERE id = 11", field: .headers),
        Damage(sql: "UPDATE records SET topic = 'bad topic/../x' WHERE id = 11", field: .topic),
        Damage(sql: "UPDATE records SET topic = '' WHERE id = 11", field: .topic),
        Damage(sql: "UPDATE records SET topic = '\(String(repeating: "a", count: 300))' WHERE id = 11", field: .topic),
        Damage(sql: "UPDATE records SET topic = CAST(X'FF41' AS TEXT) WHERE id = 11", field: .topic),
        // (A number stored into `topic` becomes text by the column's affinity: '7' is a valid name.)
        Damage(sql: "UPDATE records SET topic = X'6576FF' WHERE id = 11", field: .topic),
        Damage(sql: "UPDATE records SET partition = 9223372036854775807 WHERE id = 11", field: .partition),
        Damage(sql: "UPDATE records SET partition = -5 WHERE id = 11", field: .partition),
        Damage(sql: "UPDATE records SET partition = 'two' WHERE id = 11", field: .partition),
        Damage(sql: "UPDATE records SET created_at = 'yesterday' WHERE id = 11", field: .createdAt),
        Damage(sql: "UPDATE records SET created_at = -9223372036854775808 WHERE id = 11", field: .createdAt),
        Damage(sql: "UPDATE records SET created_at = 1.5 WHERE id = 11", field: .createdAt),
        Damage(sql: "UPDATE records SET value = 5 WHERE id = 11", field: .value),
        Damage(sql: "UPDATE records SET value_is_null = 1 WHERE id = 11", field: .value),
        Damage(sql: "UPDATE records SET value_is_null = 7 WHERE id = 11", field: .valueIsNull),
        Damage(sql: "UPDATE records SET key = 3.25 WHERE id = 11", field: .key),
        Damage(sql: "UPDATE records SET attempts = -1 WHERE id = 11", field: .attempts),
        Damage(sql: "UPDATE records SET attempts = 'many' WHERE id = 11", field: .attempts),
        Damage(sql: "UPDATE records SET possibly_persisted = 2 WHERE id = 11", field: .possiblyPersisted),
    ]

    static func damagedSpool(_ directory: TemporaryDirectory, _ sql: String) throws -> SpoolConfiguration {
        let configuration = SpoolFixtures.configuration(directory)
        try SpoolFixtures.spool(at: configuration.path, records: SpoolFixtures.records(0..<20))
        try SpoolOpeningTests.execute(configuration.path, sql)
        return configuration
    }

    @Test(arguments: damages)
    func replayQuarantinesTheDamagedRowAndReadsEveryOther(_ damage: Damage) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = try Self.damagedSpool(directory, damage.sql)
        let spool = try SpoolFixtures.open(configuration)
        defer { spool.close() }

        // Pages of 4, as replay reads: the bad row is in the third.
        var read: [SpooledRecord] = []
        var quarantined: [SpoolRowProblem] = []
        var cursor: Int64 = 0
        while true {
            let page = try spool.readForReplay(limit: 4, after: cursor)
            quarantined += page.quarantined
            read += page.records
            guard let last = page.lastID else { break }
            cursor = last
        }
        #expect(read.map(\.id) == Array(1...10) + Array(12...20))
        #expect(read.map(\.record) == SpoolFixtures.records(0..<20).enumerated().filter { $0.offset != 10 }.map(\.element))
        #expect(quarantined.map(\.id) == [11])
        #expect(quarantined.first?.field == damage.field)
        #expect(spool.quarantinedCount == 1)

        // It now sits in the dead letters, with a reason naming the column; the totals agree.
        #expect(spool.totals.readyCount == 19 && spool.totals.deadCount == 1)
        let dead = try #require(try spool.records(matching: SpoolQuery(area: .deadLetters), limit: 10).first)
        #expect(dead.id == 11)
        #expect(dead.deadLetterReason == quarantined.first?.deadLetterReason)
        #expect(dead.deadLetterReason?.hasPrefix(SpoolRowProblem.reasonPrefix + damage.field.rawValue) == true)
        #expect(try spool.auditTotals().isConsistent)
        // And is never read for replay again.
        #expect(try spool.readForReplay(limit: 100).quarantined.isEmpty)
    }

    @Test(arguments: damages)
    func inspectionListsTheDamagedRowWithItsProblemAndChecksFindIt(_ damage: Damage) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = try Self.damagedSpool(directory, damage.sql)
        let spool = try Spool.openForInspection(path: configuration.path)
        defer { spool.close() }
        let listed = try spool.records(matching: SpoolQuery(area: .all), limit: 100)
        #expect(listed.count == 20)
        #expect(listed.filter { $0.problem != nil }.map(\.id) == [11])
        #expect(listed.first { $0.id == 11 }?.problem?.field == damage.field)
        #expect(try spool.record(id: 11)?.problem?.field == damage.field)
        #expect(try spool.rowProblems(in: .ready, rules: SpoolRowRules()).map(\.id) == [11])
        // Read-only replay (a dry run) skips it and says so, moving nothing.
        let page = try spool.readForReplay(limit: 100)
        #expect(page.records.count == 19 && page.quarantined.map(\.id) == [11] && page.lastID == 20)
        #expect(spool.totals.readyCount == 20)
    }

    @Test func aPageOfNothingButDamagedRowsStillMovesTheCursorOn() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = try Self.damagedSpool(directory, "UPDATE records SET topic = '' WHERE id BETWEEN 3 AND 12")
        let spool = try SpoolFixtures.open(configuration)
        defer { spool.close() }
        let first = try spool.readForReplay(limit: 2, after: 0)
        #expect(first.records.map(\.id) == [1, 2])
        // Ten bad rows in a row: read on past them, in one call, to fill the page.
        let second = try spool.readForReplay(limit: 2, after: 2)
        #expect(second.records.map(\.id) == [13, 14])
        #expect(second.quarantined.map(\.id) == Array(3...12))
        #expect(second.lastID == 14)
        #expect(spool.totals.deadCount == 10 && spool.totals.readyCount == 10)
    }

    @Test func rowsOverTheRecordLimitAreQuarantinedBySize() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = SpoolFixtures.configuration(directory)
        try SpoolFixtures.spool(at: configuration.path, records: [SpoolFixtures.record(0, valueBytes: 50), SpoolFixtures.record(1, valueBytes: 500)])
        configuration.rowRules = SpoolRowRules(maxRecordBytes: 200)
        let spool = try SpoolFixtures.open(configuration)
        defer { spool.close() }
        let page = try spool.readForReplay(limit: 10)
        #expect(page.records.map(\.id) == [1])
        #expect(page.quarantined.map(\.field) == [.size])
    }

    @Test func rowsWithIDsAtOrBelowZeroGetNewIDsWhenOpenedForWriting() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = try Self.damagedSpool(
            directory,
            "UPDATE records SET id = -9223372036854775808 WHERE id = 4; UPDATE records SET id = 0 WHERE id = 5; UPDATE records SET id = -7 WHERE id = 6"
        )
        // Before: inspection lists them (all but Int64.min, which no page can start below) and check names them.
        let inspection = try Spool.openForInspection(path: configuration.path)
        #expect(try inspection.records(matching: SpoolQuery(area: .ready), limit: 100).map(\.id).prefix(2) == [-7, 0])
        #expect(try inspection.rowProblems(in: .ready, rules: SpoolRowRules()).map(\.id) == [.min, -7, 0])
        #expect(try inspection.rowProblems(in: .ready, rules: SpoolRowRules()).allSatisfy { $0.field == .id })
        inspection.close()

        let spool = try SpoolFixtures.open(configuration)
        defer { spool.close() }
        #expect(spool.rowsRenumberedAtOpen == 3)
        let read = try spool.readOldest(limit: 100)
        // Every record replayed, the three last in their old order, and new appends still get fresh ids.
        #expect(read.count == 20)
        #expect(read.suffix(3).map(\.id) == [21, 22, 23])
        #expect(read.suffix(3).compactMap { SpoolFixtures.index(of: $0.record) } == [3, 5, 4])
        #expect(try spool.append([SpoolFixtures.record(99)]).ids == 24...24)
        #expect(try spool.auditTotals().isConsistent)
    }

    @Test func quarantiningEveryInvalidReadyRowNowLeavesACleanSpool() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = try Self.damagedSpool(
            directory, "UPDATE records SET headers = X'05' WHERE id = 2; UPDATE records SET created_at = -2 WHERE id = 19"
        )
        let spool = try SpoolFixtures.open(configuration)
        defer { spool.close() }
        #expect(try spool.quarantineInvalidReadyRows().map(\.id) == [2, 19])
        #expect(try spool.rowProblems(in: .ready, rules: configuration.rowRules).isEmpty)
        // Dead letters that break the rules are still found (as notes for `spool check`).
        #expect(try spool.rowProblems(in: .deadLetters, rules: configuration.rowRules).map(\.id) == [2, 19])
        #expect(spool.totals.readyCount == 18 && spool.totals.deadCount == 2)
        #expect(try spool.auditTotals().isConsistent)
    }

    @Test func aValidSpoolHasNoProblemsAndReplaysUnchanged() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("varied.db")
        try SpoolFixtures.varied(at: path)
        let spool = try SpoolFixtures.open(SpoolConfiguration(path: path))
        defer { spool.close() }
        #expect(try spool.rowProblems(in: .all, rules: SpoolRowRules()).isEmpty)
        let page = try spool.readForReplay(limit: 1000)
        #expect(page.quarantined.isEmpty && page.records.count == 32)
        #expect(spool.quarantinedCount == 0)
    }

    /// A hand edit can give a ready record the id of a dead letter: moving it to
    /// the dead letters (quarantine, or Kafka refusing it) then failed on the
    /// duplicate id, and replay read the same page again, for ever.
    @Test func aReadyRecordSharingItsIDWithADeadLetterGetsANewIDAndCanStillBeQuarantined() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = SpoolFixtures.configuration(directory)
        try SpoolFixtures.spool(at: configuration.path, records: SpoolFixtures.records(0..<5), deadLetters: [SpoolFixtures.record(5)])
        try SpoolOpeningTests.execute(configuration.path, "UPDATE records SET id = 6, headers = X'05' WHERE id = 3")
        let inspection = try Spool.openForInspection(path: configuration.path)
        #expect(try inspection.readyIDsSharedWithDeadLetters() == [6])
        inspection.close()

        let spool = try SpoolFixtures.open(configuration)
        defer { spool.close() }
        #expect(spool.rowsRenumberedAtOpen == 1)
        let page = try spool.readForReplay(limit: 10)
        #expect(page.records.map(\.id) == [1, 2, 4, 5])
        #expect(page.quarantined.map(\.id) == [7])
        #expect(try spool.records(matching: SpoolQuery(area: .deadLetters), limit: 10).map(\.id) == [6, 7])
        #expect(try spool.auditTotals().isConsistent)
    }

    /// A move to the dead letters that fails (here a trigger refuses it; in
    /// life, a full file) must not hold back the records before the bad row,
    /// nor lose the row: replay sends those, waits before the bad row, and
    /// moves it once the move succeeds (found in review).
    @Test func aQuarantineThatFailsStillSendsWhatLiesBeforeTheBadRow() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = try Self.damagedSpool(directory, """
            UPDATE records SET topic = '' WHERE id = 6;
            CREATE TRIGGER refuse BEFORE INSERT ON dead_letters BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;
            """)
        let spool = try SpoolFixtures.open(configuration)
        defer { spool.close() }
        let blocked = try spool.readForReplay(limit: 10)
        #expect(blocked.records.map(\.id) == [1, 2, 3, 4, 5])
        #expect(blocked.quarantined.isEmpty)
        #expect(blocked.lastID == 5)
        #expect(spool.totals.readyCount == 20 && spool.totals.deadCount == 0)

        try SpoolOpeningTests.execute(configuration.path, "DROP TRIGGER refuse")
        let moved = try spool.readForReplay(limit: 10, after: 5)
        #expect(moved.records.map(\.id) == Array(7...16))
        #expect(moved.quarantined.map(\.id) == [6])
        #expect(spool.totals.readyCount == 19 && spool.totals.deadCount == 1)
        #expect(try spool.auditTotals().isConsistent)
    }
}
