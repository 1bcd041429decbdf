@testable import SpillwaySpool
import SpillwayTestKit
import Testing

/// The migrator alone, on in-memory and temporary SQLite files: migrations in
/// version order, one transaction each, versions recorded, idempotent, and a
/// failing migration leaves the earlier ones applied and the file usable.
@Suite struct SpoolMigratorTests {
    static func memory() throws -> SQLiteConnection {
        try SQLiteConnection(path: ":memory:", mode: .readWriteCreate)
    }

    static func tables(_ connection: SQLiteConnection) throws -> [String] {
        let statement = try connection.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        var names: [String] = []
        while try statement.step() { names.append(statement.text(0)) }
        return names
    }

    static func recorded(_ connection: SQLiteConnection) throws -> [(version: Int, name: String, appliedAt: Int64)] {
        let statement = try connection.prepare("SELECT version, name, applied_at FROM spillway_migrations ORDER BY version")
        var rows: [(Int, String, Int64)] = []
        while try statement.step() { rows.append((Int(statement.int64(0)), statement.text(1), statement.int64(2))) }
        return rows
    }

    /// Three steps, each needing the one before it.
    static let steps = [
        SpoolMigration(version: 1, name: "create_items", sql: "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"),
        SpoolMigration(version: 2, name: "add_size", sql: "ALTER TABLE items ADD COLUMN size INTEGER NOT NULL DEFAULT 0;"),
        SpoolMigration(version: 3, name: "seed", sql: "INSERT INTO items (name, size) VALUES ('first', 3);"),
    ]

    // MARK: The shipped migrations

    @Test func theShippedMigrationsAreNumberedOneToNWithoutGaps() {
        let versions = SpoolMigration.embedded.map(\.version)
        #expect(!versions.isEmpty)
        #expect(versions == Array(1...versions.count))
        #expect(SpoolMigration.latestVersion == versions.count)
        #expect(SpoolMigration.embedded.allSatisfy { !$0.name.isEmpty && !$0.sql.isEmpty })
    }

    @Test func aFreshDatabaseGetsEveryShippedMigrationRecorded() throws {
        let connection = try Self.memory()
        #expect(try SpoolMigrator.appliedVersion(connection) == 0)
        let applied = try SpoolMigrator.migrate(connection, now: 1_700_000_000_000)
        #expect(applied == SpoolMigration.embedded.map(\.version))
        #expect(try SpoolMigrator.appliedVersion(connection) == SpoolMigration.latestVersion)
        let rows = try Self.recorded(connection)
        #expect(rows.map(\.version) == SpoolMigration.embedded.map(\.version))
        #expect(rows.map(\.name) == SpoolMigration.embedded.map(\.name))
        #expect(rows.allSatisfy { $0.appliedAt == 1_700_000_000_000 })
        #expect(try connection.scalarInt("PRAGMA application_id") == SpoolMigrator.applicationID)
        #expect(try Self.tables(connection).contains("records"))
    }

    // MARK: Order, transactions, versions

    @Test func migrationsApplyInOrderEachRecordedWithItsNameAndTime() throws {
        let connection = try Self.memory()
        #expect(try SpoolMigrator.migrate(connection, migrations: Self.steps, now: 42) == [1, 2, 3])
        #expect(try Self.recorded(connection).map { "\($0.version) \($0.name) \($0.appliedAt)" } == ["1 create_items 42", "2 add_size 42", "3 seed 42"])
        #expect(try connection.scalarText("SELECT name || ':' || size FROM items") == "first:3")
    }

    @Test func migratingAgainAppliesNothingAndChangesNothing() throws {
        let connection = try Self.memory()
        try SpoolMigrator.migrate(connection, migrations: Self.steps, now: 1)
        #expect(try SpoolMigrator.migrate(connection, migrations: Self.steps, now: 2) == [])
        #expect(try connection.scalarInt("SELECT count(*) FROM items") == 1, "the seed ran once")
        #expect(try Self.recorded(connection).map(\.appliedAt) == [1, 1, 1])
    }

    @Test func onlyMigrationsNewerThanTheFileAreApplied() throws {
        let connection = try Self.memory()
        #expect(try SpoolMigrator.migrate(connection, migrations: Array(Self.steps.prefix(1)), now: 1) == [1])
        #expect(try SpoolMigrator.appliedVersion(connection) == 1)
        #expect(try SpoolMigrator.migrate(connection, migrations: Self.steps, now: 2) == [2, 3])
        #expect(try Self.recorded(connection).map(\.appliedAt) == [1, 2, 2])
    }

    /// A failing migration rolls back alone: the ones before it stay applied and
    /// recorded, nothing of it remains, and the file takes a corrected one later.
    @Test func aFailingMigrationLeavesTheEarlierOnesAppliedAndTheFileUsable() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("migrated.db")
        let broken = SpoolMigration(version: 3, name: "broken", sql: """
            CREATE TABLE half_done (x INTEGER);
            INSERT INTO items (name, size) VALUES ('partial', 1);
            INSERT INTO no_such_table VALUES (1);
            """)
        let next = SpoolMigration(version: 4, name: "never_reached", sql: "CREATE TABLE never (x INTEGER);")
        do {
            let connection = try SQLiteConnection(path: path, mode: .readWriteCreate)
            let error = #expect(throws: SQLiteError.self) {
                try SpoolMigrator.migrate(connection, migrations: Array(Self.steps.prefix(2)) + [broken, next], now: 7)
            }
            #expect(error?.message == "no such table: no_such_table")
            #expect(try SpoolMigrator.appliedVersion(connection) == 2)
            #expect(try Self.tables(connection) == ["items", "spillway_migrations"], "nothing of 3, and 4 never ran")
            #expect(try connection.scalarInt("SELECT count(*) FROM items") == 0)
            // Not left inside a transaction: a new one can start, and commits.
            try connection.transaction { try connection.execute("INSERT INTO items (name) VALUES ('after')") }
        }
        // The file opens again, passes SQLite's check, and takes the corrected migration.
        let reopened = try SQLiteConnection(path: path, mode: .readWrite)
        #expect(try reopened.scalarText("PRAGMA integrity_check") == "ok")
        #expect(try SpoolMigrator.appliedVersion(reopened) == 2)
        #expect(try SpoolMigrator.migrate(reopened, migrations: Self.steps + [next], now: 8) == [3, 4])
        #expect(try Self.recorded(reopened).map { "\($0.version) \($0.name) \($0.appliedAt)" } == ["1 create_items 7", "2 add_size 7", "3 seed 8", "4 never_reached 8"])
        #expect(try reopened.scalarInt("SELECT count(*) FROM items") == 2)
    }

    /// When the very first migration fails, the file is left as it was: not marked a spool.
    @Test func aFailingFirstMigrationLeavesNoTrace() throws {
        let connection = try Self.memory()
        let broken = SpoolMigration(version: 1, name: "broken", sql: "CREATE TABLE t (x INTEGER); SELECT no_such_function();")
        #expect(throws: SQLiteError.self) { try SpoolMigrator.migrate(connection, migrations: [broken], now: 1) }
        #expect(try Self.tables(connection) == [])
        #expect(try connection.scalarInt("PRAGMA application_id") == 0)
        #expect(try SpoolMigrator.appliedVersion(connection) == 0)
    }

    /// SQL that is unusual but valid goes through whole: triggers with bodies,
    /// comments, semicolons inside strings, a name that needs quoting.
    @Test func unusualButValidMigrationsAreNotRefused() throws {
        let connection = try Self.memory()
        let migrations = Self.steps.prefix(1) + [
            SpoolMigration(version: 2, name: "it's a trigger", sql: """
                -- a comment; with a semicolon
                CREATE TABLE log (note TEXT);
                /* a block comment; also with one */
                CREATE TRIGGER items_logged AFTER INSERT ON items BEGIN
                    INSERT INTO log (note) VALUES ('added; ' || NEW.name);
                END;
                """),
            SpoolMigration(version: 3, name: "empty", sql: "-- nothing to do"),
        ]
        #expect(try SpoolMigrator.migrate(connection, migrations: Array(migrations), now: 1) == [1, 2, 3])
        try connection.execute("INSERT INTO items (name) VALUES ('x')")
        #expect(try connection.scalarText("SELECT note FROM log") == "added; x")
        #expect(try Self.recorded(connection).map(\.name) == ["create_items", "it's a trigger", "empty"])
    }

    /// A file already at a newer version than any migration given is left alone
    /// (refusing it is `Spool.open`'s job, with its own error).
    @Test func aNewerFileIsLeftAlone() throws {
        let connection = try Self.memory()
        try SpoolMigrator.migrate(connection, migrations: Self.steps, now: 1)
        #expect(try SpoolMigrator.migrate(connection, migrations: Array(Self.steps.prefix(2)), now: 2) == [])
        #expect(try SpoolMigrator.appliedVersion(connection) == 3)
    }
}
