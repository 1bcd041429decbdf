import Foundation
import SpillwaySpool
import SpillwayTestKit
import Testing

/// Issue 21 item 3, as an operator meets it: `spool check` names each total
/// that disagrees with the rows and exits non-zero, `--repair` rebuilds them,
/// and the writing commands rebuild them on their own (with a warning) instead
/// of failing or trapping.
@Suite struct SpoolCheckTests {
    /// 50 ready records (ids 1–50) and a dead letter (51).
    static func spool(at path: String) throws {
        try SpoolFixtures.spool(at: path, records: SpoolFixtures.numbered(50, topic: "t"), deadLetters: [SpoolFixtures.record(50, topic: "t")])
    }

    static func edit(_ path: String, _ sql: String) throws {
        try SQLiteConnection(path: path, mode: .readWrite).execute(sql)
    }

    static func line(_ index: Int) -> String {
        #"{"topic":"t","value":"imported-\#(index)"}"#
    }

    @Test func checkNamesEachTotalThatDisagreesAndRepairRebuildsThem() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        try Self.spool(at: path)
        let healthy = try await CLI.run("spool", "check", "--spool", path)
        #expect(healthy.status == 0, "\(healthy.stderr)")
        #expect(healthy.stdout.hasPrefix("ok: \(path) passed the integrity check, its totals agree with its rows, and every ready record can be sent (50 ready, 1 dead letters; sizes held against the largest max_record_bytes the service accepts"), "\(healthy.stdout)")

        try Self.edit(path, "UPDATE spool_totals SET ready_bytes = -5, ready_count = -7, next_id = -1")
        let check = try await CLI.run("spool", "check", "--spool", path)
        CLI.expectOneLineError(check, containing: "spool at \(path) has 3 problems (listed above)")
        #expect(check.stderr.contains("spillway spool check --repair"))
        let lines = check.stdout.split(separator: "\n")
        #expect(lines.count == 3, "\(check.stdout)")
        #expect(lines.first == "totals: next_id is -1, should be 52: ids up to 51 are in use, so new records would collide with them")
        #expect(lines.contains("totals: ready_count is -7, should be 50: table records holds 50 rows"))
        #expect(lines.contains { $0.hasPrefix("totals: ready_bytes is -5, should be ") })

        let repair = try await CLI.run("spool", "check", "--repair", "--spool", path)
        #expect(repair.status == 0, "\(repair.stderr)")
        #expect(repair.stdout.contains("rebuilt ready_count: was -7, now 50 (table records holds 50 rows)"), "\(repair.stdout)")
        #expect(repair.stdout.contains("rebuilt next_id: was -1, now 52"), "\(repair.stdout)")
        #expect(repair.stdout.contains("repaired: \(path) has 50 ready, 1 dead letters; the next record gets id 52"), "\(repair.stdout)")

        let after = try await CLI.run("spool", "check", "--spool", path)
        #expect(after.status == 0, "\(after.stdout)\(after.stderr)")
        #expect(after.stdout.hasPrefix("ok: "))
        let again = try await CLI.run("spool", "check", "--repair", "--spool", path)
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix("nothing to repair: "), "\(again.stdout)")
    }

    /// `next_id = -1`: the import that followed failed on `UNIQUE constraint failed: records.id`.
    @Test func importAfterANextIDBehindTheRowsRebuildsItAndImports() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        try Self.spool(at: path)
        try Self.edit(path, "UPDATE spool_totals SET next_id = -1")
        let input = (0..<3).map(Self.line).joined(separator: "\n") + "\n"
        let imported = try await CLI.run(["spool", "import", "--spool", path, "-"], input: Data(input.utf8))
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stderr.contains("imported 3 records"), "\(imported.stderr)")
        #expect(imported.stderr.contains("spool totals disagreed with the rows; rebuilt them from the rows"), "\(imported.stderr)")
        #expect(imported.stderr.contains("next_id=-1 -> 52"), "\(imported.stderr)")
        let ids = try Spool.openForInspection(path: path).records(matching: SpoolQuery(area: .all), limit: 100).map(\.id)
        #expect(ids == Array(1...54))
        #expect(try await CLI.run("spool", "check", "--spool", path).status == 0)
    }

    /// `purge --yes` trapped (exit 132) summing costs, and `import` adding to
    /// totals and to `next_id`, when a cost or a total was at Int64's ends.
    @Test(arguments: ExtremeValueTests.values)
    func purgeAndImportDoNotTrapOnExtremeCostsAndTotals(_ value: ExtremeValueTests.Stored) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        for command in [["import"], ["purge", "--all", "--yes"]] {
            let path = directory.file("\(command[0]).db")
            try ExtremeValueTests.spool(at: path, with: value)
            try Self.edit(path, "UPDATE spool_totals SET next_id = \(value.sql)")
            let result = command == ["import"]
                ? try await CLI.run(["spool", "import", "--spool", path, "-"], input: Data((Self.line(0) + "\n").utf8))
                : try await CLI.run(["spool"] + command + ["--spool", path])
            #expect(result.status == 0, "\(command) exited \(result.status): \(result.stderr)")
            #expect(!result.stderr.contains("Fatal error"), "\(command): \(result.stderr)")
            let spool = try Spool.openForInspection(path: path)
            #expect(try spool.auditTotals().isConsistent, "\(command): the writer's open rebuilt the totals")
            #expect(spool.totals.count == (command == ["import"] ? 5 : 0), "\(command)")
            // The totals agree; record 2 itself may break the rules with this value (then check names it, nothing else).
            let check = try await CLI.run("spool", "check", "--spool", path)
            let problems = check.stdout.split(separator: "\n").filter { !$0.hasPrefix("note: ") }
            #expect(problems.allSatisfy { $0.hasPrefix("ready: record 2: ") || $0.hasPrefix("ok: ") }, "\(command): \(check.stdout)")
            #expect((check.status == 0) == problems.allSatisfy { $0.hasPrefix("ok: ") }, "\(command): \(check.stdout)\(check.stderr)")
        }
    }

    /// Issue 21 items 1 and 4 as an operator meets them: `spool check` said "ok"
    /// about a row every other command refused (export, list and dry run failed
    /// whole on it), and rows with ids at or below 0 were never listed or replayed.
    @Test func damagedRowsAreNamedByCheckLeftOutOfExportAndMovedByRepair() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        try Self.spool(at: path)
        try Self.edit(path, """
            UPDATE records SET headers = X'FFFFFFFF00' WHERE id = 11;
            UPDATE records SET partition = 9223372036854775807 WHERE id = 13;
            UPDATE records SET id = -3 WHERE id = 5;
            """)

        let check = try await CLI.run("spool", "check", "--spool", path)
        CLI.expectOneLineError(check, containing: "spool at \(path) has 3 problems (listed above)")
        let lines = check.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("ready: record -3: id is -3; ids start at 1") }, "\(check.stdout)")
        #expect(lines.contains { $0.hasPrefix("ready: record 11: headers are malformed: ") }, "\(check.stdout)")
        #expect(lines.contains { $0.hasPrefix("ready: record 13: partition is 9223372036854775807; ") }, "\(check.stdout)")

        // Export writes every other record, importable, and names what it left out.
        let export = try await CLI.run("spool", "export", "--spool", path)
        #expect(export.status == 0, "\(export.stderr)")
        let exported = export.stdout.split(separator: "\n")
        #expect(exported.count == 48, "50 ready and a dead letter, less the three rows named")
        #expect(export.stderr.contains("left out 3 records that cannot be read as stored"), "\(export.stderr)")
        #expect(export.stderr.contains("record -3: id is -3"), "\(export.stderr)")
        #expect(export.stderr.contains("record 11: headers are malformed"), "\(export.stderr)")
        let list = try await CLI.run("spool", "list", "--limit", "100", "--spool", path)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.split(separator: "\n").contains { $0.hasPrefix("11 ") && $0.contains("UNREADABLE: headers are malformed") }, "\(list.stdout)")
        let dryRun = try await CLI.run("replay", "--dry-run", "--spool", path)
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("would send 47 records"), "\(dryRun.stdout)")
        #expect(dryRun.stdout.contains("2 stored records cannot be sent as stored"), "\(dryRun.stdout)")

        let repair = try await CLI.run("spool", "check", "--repair", "--spool", path)
        #expect(repair.status == 0, "\(repair.stderr)")
        #expect(repair.stdout.contains("gave 1 row new ids after the newest row (ids at or below 0, or shared by a ready record and a dead letter)"), "\(repair.stdout)")
        #expect(repair.stdout.contains("moved to the dead letters: record 11: headers are malformed"), "\(repair.stdout)")
        #expect(repair.stdout.contains("moved to the dead letters: record 13: partition is"), "\(repair.stdout)")
        #expect(repair.stdout.contains("repaired: \(path) has 48 ready, 3 dead letters; the next record gets id 53"), "\(repair.stdout)")

        // Clean now: the quarantined rows are notes, never sent, and the renumbered one is ready.
        let after = try await CLI.run("spool", "check", "--spool", path)
        #expect(after.status == 0, "\(after.stdout)\(after.stderr)")
        #expect(after.stdout.contains("note: dead letter: record 11: headers are malformed"), "\(after.stdout)")
        #expect(after.stdout.contains("ok: \(path) passed the integrity check"), "\(after.stdout)")
        let ids = try Spool.openForInspection(path: path).records(matching: SpoolQuery(area: .ready), limit: 100).map(\.id)
        #expect(ids.last == 52 && ids.count == 48 && !ids.contains(-3))
    }
}
