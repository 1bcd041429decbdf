import Foundation
@testable import SpillwaySpool
import SpillwayTestKit
import Testing

/// Kafka's NULL value (a tombstone) and NULL header values stay apart from empty
/// ones on every path through the spool: append and replay reads, inspection,
/// dead letters, escrow copies and their settlement, import, and a spool
/// written before NULL existed.
@Suite struct SpoolNullValueTests {
    /// A tombstone with a NULL, an empty and a non-empty header; an empty value
    /// with an empty header; an ordinary record. Equal as records only if every
    /// NULL came back NULL and every empty came back empty.
    static let records = [
        Record(
            topic: "compacted", key: Array("gone".utf8), value: nil,
            headers: [RecordHeader(name: "n", value: nil), RecordHeader(name: "e", value: []), RecordHeader(name: "b", value: [1, 2])],
            timestamp: 1_764_000_000_000
        ),
        Record(topic: "compacted", key: Array("empty".utf8), value: [], headers: [RecordHeader(name: "e", value: [])], timestamp: 1_764_000_000_001),
        Record(topic: "compacted", key: Array("full".utf8), value: Array("v".utf8), timestamp: 1_764_000_000_002),
    ]

    /// `value_is_null` and the stored bytes of one row, as the file holds them.
    static func stored(_ path: String, _ table: String, id: Int64) throws -> String? {
        try SpoolOpeningTests.query(path, "SELECT value_is_null || ':' || length(value) || ':' || typeof(value) FROM \(table) WHERE id = \(id)")
    }

    @Test func appendedRecordsReadBackWithNullApartFromEmpty() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = SpoolFixtures.configuration(directory)
        let spool = try SpoolFixtures.open(configuration)
        let ids = try #require(try spool.append(Self.records).ids)
        #expect(ids == 1...3)

        let replayed = try spool.readOldest(limit: 10)
        #expect(replayed.map(\.record) == Self.records)
        #expect(replayed[0].record.value == nil && replayed[1].record.value == [])
        #expect(replayed[0].record.headers.map(\.value) == [nil, [], [1, 2]])
        // Inspection reads the same rows through its own query.
        #expect(try spool.records(matching: SpoolQuery(area: .all), limit: 10).map(\.record) == Self.records)
        #expect(try spool.record(id: 1)?.record.value == nil)
        #expect(try spool.record(id: 2)?.record.value == [])
        // On disk: a NULL value is an empty blob marked, an empty one is not marked.
        #expect(try Self.stored(configuration.path, "records", id: 1) == "1:0:blob")
        #expect(try Self.stored(configuration.path, "records", id: 2) == "0:0:blob")
        #expect(try Self.stored(configuration.path, "records", id: 3) == "0:1:blob")
        // A NULL is charged as 0 bytes, like an empty value.
        #expect(Self.records[0].payloadSize == "compacted".utf8.count + "gone".utf8.count + 1 + 1 + (1 + 2), "topic, key, header names and bytes; no value")
        #expect(Spool.cost(of: Record(topic: "t", value: nil, timestamp: 0)) == Spool.cost(of: Record(topic: "t", value: [], timestamp: 0)))
        spool.close()

        let reopened = try Spool.openForInspection(path: configuration.path)
        #expect(try reopened.readOldest(limit: 10).map(\.record) == Self.records)
    }

    @Test func deadLettersKeepNullApart() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = SpoolFixtures.configuration(directory)
        let spool = try SpoolFixtures.open(configuration)
        defer { spool.close() }
        // Written as dead letters, and moved there from the ready records.
        try spool.append(Self.records, as: .deadLetter(reason: "INVALID_RECORD"))
        try spool.append(Self.records)
        #expect(try spool.moveToDeadLetters(ids: [4, 5, 6], reason: "RECORD_LIST_TOO_LARGE") == 3)

        let dead = try spool.records(matching: SpoolQuery(area: .deadLetters), limit: 10)
        #expect(dead.map(\.id) == [1, 2, 3, 4, 5, 6])
        #expect(dead.map(\.record) == Self.records + Self.records)
        #expect(dead.map(\.record.value).map { $0 == nil } == [true, false, false, true, false, false])
        #expect(try Self.stored(configuration.path, "dead_letters", id: 4) == "1:0:blob")
        #expect(try Self.stored(configuration.path, "dead_letters", id: 5) == "0:0:blob")
    }

    @Test func escrowCopiesKeepNullApartWhereverTheyGo() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = SpoolFixtures.configuration(directory)
        do {
            let spool = try SpoolFixtures.open(configuration)
            #expect(try spool.escrow(Self.records, keys: [11, 12, 13]).keptCount == 3)
            #expect(try spool.escrow(Self.records, keys: [21, 22, 23]).keptCount == 3)
            #expect(try SpoolOpeningTests.query(configuration.path, "SELECT group_concat(value_is_null, '') FROM escrow") == "100100")
            #expect(try spool.settleEscrow([(11, false), (12, false), (13, false)], as: .ready) == 3)
            #expect(try spool.settleEscrow([(21, false), (22, false)], as: .deadLetter(reason: "INVALID_RECORD")) == 2)
            #expect(try spool.readOldest(limit: 10).map(\.record) == Self.records)
            #expect(try spool.records(matching: SpoolQuery(area: .deadLetters), limit: 10).map(\.record) == Array(Self.records.prefix(2)))
            // Left in escrow by a "crash": a ready record at the next open, still what it was.
            #expect(try spool.escrow([Self.records[0]], keys: [31]).keptCount == 1)
            spool.close()
        }
        let reopened = try SpoolFixtures.open(configuration)
        defer { reopened.close() }
        let recovered = try #require(try reopened.readOldest(limit: 10).last)
        #expect(recovered.record.possiblyPersisted, "recovered from escrow")
        var expected = Self.records[0]
        expected.possiblyPersisted = true
        #expect(recovered.record == expected)
        #expect(recovered.record.value == nil)
    }

    /// What `spool export` wrote comes back through `importRecords` with NULL kept.
    @Test func importKeepsNullApart() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let spool = try SpoolFixtures.open(SpoolFixtures.configuration(directory))
        defer { spool.close() }
        let exported = Self.records.enumerated().map { SpooledRecord(id: Int64(10 + $0.offset), record: $0.element, cost: Spool.cost(of: $0.element)) }
            + [SpooledRecord(id: 20, record: Self.records[0], cost: Spool.cost(of: Self.records[0]), deadLetterReason: "INVALID_RECORD")]
        try spool.importRecords(exported)
        #expect(try spool.records(matching: SpoolQuery(area: .all), limit: 10) == exported)
    }

    /// A spool written before NULL values existed (schema 4): its rows, an empty
    /// value and an empty header among them, read back as they were written, never
    /// as NULL; that holds for a copy left in its escrow table too.
    @Test func aSpoolFromBeforeNullValuesKeepsItsEmptyValuesEmpty() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        try SpoolFixtures.open(SpoolConfiguration(path: path)).close()
        // Back to what version 4 wrote, with rows in it; the headers blob is header "a", empty value.
        try SpoolOpeningTests.execute(path, """
            \(SpoolOpeningTests.backToVersion5)
            ALTER TABLE records DROP COLUMN value_is_null;
            ALTER TABLE dead_letters DROP COLUMN value_is_null;
            ALTER TABLE escrow DROP COLUMN value_is_null;
            DELETE FROM spillway_migrations WHERE version = 5;
            INSERT INTO records (id, topic, key, value, headers, partition, created_at, attempts, cost) VALUES (1, 'old', NULL, x'', x'016100', NULL, 5, 0, 45);
            INSERT INTO dead_letters (id, topic, key, value, headers, partition, created_at, attempts, cost, reason) VALUES (2, 'old', NULL, x'6869', NULL, NULL, 6, 0, 45, 'INVALID_RECORD');
            INSERT INTO escrow (intake_id, topic, key, value, headers, partition, created_at, attempts, cost) VALUES (7, 'old', NULL, x'', NULL, NULL, 7, 0, 45);
            UPDATE spool_totals SET next_id = 3, ready_count = 1, ready_bytes = 45, dead_count = 1, dead_bytes = 45, escrow_count = 1, escrow_bytes = 45;
            """)
        let spool = try SpoolFixtures.open(SpoolConfiguration(path: path))
        defer { spool.close() }
        #expect(try SpoolOpeningTests.query(path, "SELECT max(version) FROM spillway_migrations") == "6")
        let all = try spool.records(matching: SpoolQuery(area: .all), limit: 10)
        #expect(all.map(\.id) == [1, 2, 3])
        #expect(all[0].record.value == [] && all[0].record.headers == [RecordHeader(name: "a", value: [])])
        #expect(all[1].record.value == Array("hi".utf8))
        #expect(all[2].record.value == [] && all[2].record.possiblyPersisted, "the escrow copy, recovered at open")
    }
}
