import CSQLite
import Foundation
import SpillwaySpool
import SpillwayTestKit
import Testing

@Suite struct SpoolOpeningTests {
    @Test func newFileGetsTheLatestSchemaRecorded() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("nested/dir/spool.db")
        let spool = try SpoolFixtures.open(SpoolConfiguration(path: path))
        spool.close()
        let inspected = try Spool.openForInspection(path: path)
        let stats = try inspected.statistics()
        #expect(stats.schemaVersion == 6)
        #expect(stats.readyCount == 0)
        #expect(try Self.query(path, "PRAGMA journal_mode") == "wal")
        #expect(try Self.query(path, "SELECT name FROM spillway_migrations WHERE version = 1") == "create_spool")
        #expect(try Self.query(path, "SELECT name FROM spillway_migrations WHERE version = 2") == "possibly_persisted")
        #expect(try Self.query(path, "SELECT name FROM spillway_migrations WHERE version = 3") == "escrow")
        #expect(try Self.query(path, "SELECT name FROM spillway_migrations WHERE version = 4") == "topic_partitions")
        #expect(try Self.query(path, "SELECT name FROM spillway_migrations WHERE version = 5") == "null_values")
        #expect(try Self.query(path, "SELECT name FROM spillway_migrations WHERE version = 6") == "compressed_values")
    }

    /// A spool written by the first schema keeps its records when a newer
    /// Spillway opens it: they are not marked possibly persisted, and new ones can be.
    @Test func aVersionOneSpoolIsMigratedWithItsRecords() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        try SpoolFixtures.open(SpoolConfiguration(path: path)).close()
        // Back to what version 1 wrote, with a record in it.
        try Self.execute(path, """
            \(SpoolOpeningTests.backToVersion5)
            ALTER TABLE records DROP COLUMN value_is_null;
            ALTER TABLE dead_letters DROP COLUMN value_is_null;
            DELETE FROM spillway_migrations WHERE version = 5;
            DROP TABLE topic_partitions;
            DELETE FROM spillway_migrations WHERE version = 4;
            ALTER TABLE records DROP COLUMN possibly_persisted;
            ALTER TABLE dead_letters DROP COLUMN possibly_persisted;
            DELETE FROM spillway_migrations WHERE version = 2;
            DROP TABLE escrow;
            ALTER TABLE spool_totals DROP COLUMN escrow_count;
            ALTER TABLE spool_totals DROP COLUMN escrow_bytes;
            DELETE FROM spillway_migrations WHERE version = 3;
            INSERT INTO records (id, topic, key, value, headers, partition, created_at, attempts, cost) VALUES (1, 'old', NULL, x'6869', NULL, NULL, 5, 3, 45);
            UPDATE spool_totals SET next_id = 2, ready_count = 1, ready_bytes = 45;
            """)
        #expect(throws: SpoolError.self, "inspection does not migrate") { try Spool.openForInspection(path: path) }
        let spool = try SpoolFixtures.open(SpoolConfiguration(path: path))
        let old = try #require(try spool.readOldest(limit: 10).first)
        #expect(old.record.topic == "old" && old.record.value == Array("hi".utf8) && old.record.attempts == 3)
        #expect(!old.record.possiblyPersisted)
        _ = try spool.append([Record(topic: "new", value: [1], timestamp: 6, possiblyPersisted: true)])
        #expect(try spool.markPossiblyPersisted(ids: [1]) == 1)
        #expect(try spool.markPossiblyPersisted(ids: [1]) == 0, "counted once")
        #expect(try spool.readOldest(limit: 10).map(\.record.possiblyPersisted) == [true, true])
        spool.close()
    }

    @Test func secondWriterIsToldWhoHoldsTheLock() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = SpoolConfiguration(path: directory.file("spool.db"))
        let first = try SpoolFixtures.open(configuration)
        #expect(throws: SpoolError.locked(path: configuration.path, pid: getpid())) {
            try SpoolFixtures.open(configuration)
        }
        // Readers are not writers: inspection works beside the writer.
        #expect(try Spool.openForInspection(path: configuration.path).totals.count == 0)
        first.close()
        let second = try SpoolFixtures.open(configuration)
        second.close()
    }

    @Test func corruptFileIsMovedAsideAndAFreshSpoolStarts() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        let spool = try SpoolFixtures.open(SpoolConfiguration(path: path))
        try spool.append(SpoolFixtures.records(0..<2000))
        spool.close()
        try Self.damagePages(of: path)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))

        #expect(throws: SpoolError.self) { try Spool.openForInspection(path: path) }
        #expect(throws: SpoolError.self) { try SpoolFixtures.open(SpoolConfiguration(path: path), options: .maintenance) }

        let fresh = try SpoolFixtures.open(SpoolConfiguration(path: path))
        let movedTo = try #require(fresh.quarantinedPath)
        #expect(movedTo.hasPrefix(path + ".corrupt-"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: movedTo)) == original, "the damaged file is kept as it was")
        #expect(fresh.totals.count == 0)
        try fresh.append(SpoolFixtures.records(0..<10))
        #expect(try fresh.readOldest(limit: 100).count == 10)
    }

    @Test func fileThatIsNotADatabaseIsQuarantinedByTheService() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        try Data(repeating: 0x41, count: 10_000).write(to: URL(fileURLWithPath: path))
        let spool = try SpoolFixtures.open(SpoolConfiguration(path: path))
        #expect(spool.quarantinedPath != nil)
        try spool.append(SpoolFixtures.records(0..<1))
        #expect(spool.totals.readyCount == 1)
    }

    @Test func futureSchemaIsRefusedAndLeftUntouched() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        try SpoolFixtures.open(SpoolConfiguration(path: path)).close()
        try Self.execute(path, "INSERT INTO spillway_migrations VALUES (99, 'from_the_future', 0)")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: SpoolError.futureSchema(path: path, found: 99, supported: 6)) {
            try SpoolFixtures.open(SpoolConfiguration(path: path))
        }
        #expect(throws: SpoolError.futureSchema(path: path, found: 99, supported: 6)) {
            try Spool.openForInspection(path: path)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal") || Self.fileSize(path + "-wal") == 0)
    }

    @Test func foreignDatabaseIsRefusedAndLeftUntouched() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.db")
        try Self.execute(path, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users VALUES (1, 'ada')")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect {
            try SpoolFixtures.open(SpoolConfiguration(path: path))
        } throws: { error in
            guard case .notASpool = error as? SpoolError else { return false }
            return true
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func inspectionNeverCreatesAFile() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("missing.db")
        #expect(throws: SpoolError.notFound(path: path)) { try Spool.openForInspection(path: path) }
        #expect(throws: SpoolError.notFound(path: path)) { try SpoolFixtures.open(SpoolConfiguration(path: path), options: .maintenance) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func invalidConfigurationNamesTheSetting() {
        #expect(throws: SpoolError.invalidConfiguration("spool maxBytes must be at least 262144 bytes, got 1000")) {
            try SpoolFixtures.open(SpoolConfiguration(path: "/tmp/never-created.db", maxBytes: 1000))
        }
    }

    // MARK: Helpers

    /// Overwrites the body of every page after the first with garbage, as a bad disk would.
    static func damagePages(of path: String) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        var offset: UInt64 = 4096
        let garbage = Data((0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
        while offset + 4096 <= size {
            try handle.seek(toOffset: offset + 8)
            try handle.write(contentsOf: garbage)
            offset += 4096 * 3
        }
    }

    /// SQL that takes a spool back to schema version 5 (before compressed values),
    /// for the tests of what opening an older spool does.
    static let backToVersion5 = """
        DROP TABLE value_dictionaries;
        ALTER TABLE records DROP COLUMN value_codec; ALTER TABLE records DROP COLUMN value_dictionary; ALTER TABLE records DROP COLUMN value_size;
        ALTER TABLE dead_letters DROP COLUMN value_codec; ALTER TABLE dead_letters DROP COLUMN value_dictionary; ALTER TABLE dead_letters DROP COLUMN value_size;
        ALTER TABLE escrow DROP COLUMN value_codec; ALTER TABLE escrow DROP COLUMN value_dictionary; ALTER TABLE escrow DROP COLUMN value_size;
        DELETE FROM spillway_migrations WHERE version = 6;
        """

    static func execute(_ path: String, _ sql: String) throws {
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK else { throw SpoolError.io(path: path, detail: "open") }
        defer { sqlite3_close(db) }
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            throw SpoolError.io(path: path, detail: String(cString: sqlite3_errmsg(db)))
        }
    }

    static func query(_ path: String, _ sql: String) throws -> String? {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else { throw SpoolError.io(path: path, detail: "open") }
        defer { sqlite3_close(db) }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
            throw SpoolError.io(path: path, detail: String(cString: sqlite3_errmsg(db)))
        }
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW, let text = sqlite3_column_text(statement, 0) else { return nil }
        return String(cString: text)
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}
