import Foundation
import SpillwaySpool
import SpillwayTestKit
import Testing

/// Issue 21 item 2: no CLI command traps on a value SQLite can hold. Each case
/// writes one extreme value into every numeric column the CLI shows (a ready
/// record's and a dead letter's creation time, attempts, cost and partition,
/// and every `spool_totals` figure), runs the real read-only commands, and
/// checks that they succeed and show out-of-range times as invalid (`check`
/// fails, naming the totals that disagree with the rows).
@Suite struct ExtremeValueTests {
    /// A value as SQL writes it, and the integer SQLite reads it back as.
    struct Stored: CustomTestStringConvertible, Sendable {
        var sql: String
        var integer: Int64
        var testDescription: String { sql }
    }

    static let values: [Stored] = [
        Stored(sql: "\(Int64.min)", integer: .min),
        Stored(sql: "\(Int64.min + 1)", integer: .min + 1),
        Stored(sql: "-62135596800001", integer: -62_135_596_800_001),  // a millisecond before year 1
        Stored(sql: "-1", integer: -1),
        Stored(sql: "0", integer: 0),
        Stored(sql: "253402300799999", integer: 253_402_300_799_999),  // the last millisecond of year 9999
        Stored(sql: "1000000000000000", integer: 1_000_000_000_000_000),  // huge positive ms: year 33658
        Stored(sql: "\(Int64.max - 1)", integer: .max - 1),
        Stored(sql: "\(Int64.max)", integer: .max),
        // Wrong types: SQLite converts them when read as integers (REAL clamps, text reads 0).
        Stored(sql: "1e300", integer: .max),
        Stored(sql: "-1e300", integer: .min),
        Stored(sql: "'yesterday'", integer: 0),
    ]

    static let commands: [[String]] = [
        ["spool", "stats"], ["spool", "stats", "--json"], ["spool", "list"], ["spool", "list", "--dead"],
        ["spool", "list", "--json"], ["spool", "peek", "2"], ["spool", "peek", "4"], ["spool", "export"],
        ["spool", "check"], ["replay", "--dry-run"],
    ]

    /// Records 1 to 3 ready, 4 a dead letter; record 2 and the dead letter get `value` in every numeric column.
    static func spool(at path: String, with value: Stored) throws {
        let records = (1...3).map { Record(topic: "t", key: Array("k\($0)".utf8), value: Array("v\($0)".utf8), timestamp: 1_764_000_000_000 + Int64($0)) }
        try SpoolFixtures.spool(at: path, records: records, deadLetters: [Record(topic: "t", value: Array("dead".utf8), timestamp: 1_764_000_000_004)])
        let v = value.sql
        let connection = try SQLiteConnection(path: path, mode: .readWrite)
        try connection.execute("""
            UPDATE records SET created_at = \(v), attempts = \(v), cost = \(v), partition = \(v) WHERE id = 2;
            UPDATE dead_letters SET created_at = \(v), attempts = \(v), cost = \(v), partition = \(v);
            UPDATE spool_totals SET ready_count = \(v), ready_bytes = \(v), dead_count = \(v), dead_bytes = \(v),
                evicted_count = \(v), evicted_bytes = \(v), escrow_count = \(v), escrow_bytes = \(v);
            """)
    }

    /// A date with a year of five or more digits, or a negative one: what a
    /// formatter makes of a time no one can have meant.
    static var absurdYear: Regex<(Substring, Substring, Substring)> { /(^|[^0-9])(-[0-9]{4,}|[0-9]{5,})-[0-9]{2}-[0-9]{2}T/ }

    @Test(arguments: values)
    func readOnlyCommandsShowAnyStoredIntegerWithoutTrapping(_ value: Stored) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        try Self.spool(at: path, with: value)
        let showable = (-62_135_596_800_000...253_402_300_799_999).contains(value.integer)
        for command in Self.commands {
            let result = try await CLI.run(command + ["--spool", path])
            // `check` names the totals this case wrote, which disagree with the rows (item 3): a plain non-zero exit.
            if command == ["spool", "check"] {
                CLI.expectOneLineError(result, containing: "problems (listed above)")
                let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("totals: ready_count is ") }
                #expect(line?.contains(", should be 3: ") == true, "\(result.stdout)")
            } else {
                #expect(result.status == 0, "\(command) exited \(result.status): \(result.stderr)")
            }
            #expect(!result.stderr.contains("Fatal error"), "\(command): \(result.stderr)")
            #expect(result.stdout.firstMatch(of: Self.absurdYear) == nil, "\(command): \(result.stdout)")
            switch command {
            case ["spool", "stats"]:
                #expect(result.stdout.contains("oldest"), "\(result.stdout)")
                if !showable {
                    #expect(result.stdout.contains("invalid (\(value.integer) ms since 1970)"), "\(result.stdout)")
                }
            case ["spool", "stats", "--json"], ["spool", "list", "--json"], ["spool", "export"]:
                for line in command == ["spool", "stats", "--json"] ? [Substring(result.stdout)] : result.stdout.split(separator: "\n") {
                    #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(command): \(line)")
                }
            case ["spool", "list"]:
                let row = result.stdout.split(separator: "\n").first { $0.drop { $0 == " " }.hasPrefix("2 ") }
                #expect(row != nil, "\(result.stdout)")
                if !showable { #expect(row?.contains("invalid") == true, "\(result.stdout)") }
            case ["spool", "peek", "2"], ["spool", "peek", "4"]:
                if !showable { #expect(result.stdout.contains("created     invalid (\(value.integer) ms since 1970)"), "\(result.stdout)") }
            default:
                break
            }
        }
    }

    /// An id is a stored integer too: `peek` finds a record by any id, Int64.min included.
    @Test(arguments: [Int64.min, Int64.min + 1, -1, 0, Int64.max])
    func peekFindsARecordByAnyID(_ id: Int64) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        try Self.spool(at: path, with: Stored(sql: "5", integer: 5))
        try SQLiteConnection(path: path, mode: .readWrite).execute("UPDATE records SET id = \(id) WHERE id = 2")
        let result = try await CLI.run("spool", "peek", "--spool", path, "--", "\(id)")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("id          \(id)\n"), "\(result.stdout)")
        #expect(result.stdout.hasSuffix("v2\n"), "\(result.stdout)")
        let missing = try await CLI.run("spool", "peek", "--spool", path, "--", "\(id == .min ? Int64.max : Int64.min)")
        CLI.expectOneLineError(missing, containing: "no record with id")
    }
}
