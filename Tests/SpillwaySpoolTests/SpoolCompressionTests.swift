import Foundation
@testable import SpillwaySpool
import SpillwayTestKit
import Testing

/// `spool.compression = zstd`: values are stored smaller (with a dictionary per
/// topic once trained), read back byte for byte on every path, charged against
/// the bound as stored, never stored larger than sent, and a damaged frame or a
/// missing dictionary quarantines its row, not the spool.
@Suite struct SpoolCompressionTests {
    /// JSON events of 100–1,000 bytes with repeating field names, as a service sends them.
    static func events(_ range: Range<Int>, topic: String = "events") -> [Record] {
        range.map { index in
            let padding = String(repeating: "x", count: (index * 37) % 800)
            let json = """
                {"event":"page_view","user_id":\(index * 7919 % 100_000),"session":"s-\(index % 97)","path":"/products/\(index % 50)",\
                "referrer":"https://example.com/search?q=item\(index % 13)","ua":"Mozilla/5.0 (X11; Linux x86_64)","ms":\(index % 1000),"note":"\(padding)"}
                """
            return Record(topic: topic, key: Array("user-\(index)".utf8), value: Array(json.utf8), timestamp: 1_764_000_000_000 + Int64(index))
        }
    }

    static func column(_ path: String, _ sql: String) throws -> String? {
        try SpoolOpeningTests.query(path, sql)
    }

    @Test func eventsAreStoredSmallerAndReadBackExactlyOnEveryPath() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = SpoolFixtures.configuration(directory)
        let spool = try SpoolFixtures.open(configuration)
        defer { spool.close() }
        let records = Self.events(0..<3000)
        for batch in stride(from: 0, to: records.count, by: 500) {
            try spool.append(Array(records[batch..<batch + 500]))
        }

        // Replay, listing, lookup by id and statistics all see the values as sent.
        var replayed: [Record] = []
        var cursor: Int64 = 0
        while true {
            let page = try spool.readForReplay(limit: 700, after: cursor)
            #expect(page.quarantined.isEmpty)
            replayed += page.records.map(\.record)
            guard let last = page.lastID else { break }
            cursor = last
        }
        #expect(replayed == records)
        #expect(try spool.records(matching: SpoolQuery(area: .ready), limit: 5000).map(\.record) == records)
        #expect(try spool.record(id: 2999)?.record == records[2998])

        // One dictionary for the topic; the rows after its training use it.
        #expect(try Self.column(configuration.path, "SELECT count(*) FROM value_dictionaries WHERE topic = 'events'") == "1")
        #expect(try Self.column(configuration.path, "SELECT count(*) FROM records WHERE value_codec = 0") == "0")
        let withDictionary = try #require(Int(try Self.column(configuration.path, "SELECT count(*) FROM records WHERE value_dictionary IS NOT NULL") ?? ""))
        #expect(withDictionary >= 2500, "rows compressed with the topic's dictionary once it was trained")

        // Charged as stored: the totals hold what the rows say, well under the values as sent.
        let sentCost = records.reduce(0) { $0 + Spool.cost(of: $1) }
        #expect(try Self.column(configuration.path, "SELECT sum(cost) FROM records") == "\(spool.totals.readyBytes)")
        #expect(spool.totals.readyBytes * 2 < sentCost)
        let statistics = try spool.statistics()
        let original = try #require(statistics.originalValueBytes)
        let stored = try #require(statistics.storedValueBytes)
        #expect(original == records.reduce(0) { $0 + ($1.value?.count ?? 0) })
        #expect(stored * 3 < original, "JSON events compress at least 3x (stored \(stored) of \(original))")
    }

    /// The byte bound counts bytes on disk: filled past its bound with the same
    /// events, a compressed spool keeps its file within the bound and holds
    /// several times the records an uncompressed one holds.
    @Test func theBoundHoldsStoredBytesSoTheSameFileHoldsMoreEvents() throws {
        var held: [SpoolConfiguration.Compression: Int] = [:]
        for compression in SpoolConfiguration.Compression.allCases {
            let directory = TemporaryDirectory()
            defer { directory.remove() }
            let configuration = SpoolFixtures.configuration(directory, maxBytes: 2 << 20, compression: compression)
            let spool = try SpoolFixtures.open(configuration)
            var appended = 0
            while spool.totals.evictedCount == 0 || appended < 40_000 {
                try spool.append(Self.events(appended..<(appended + 500)))
                appended += 500
                #expect(SpoolBoundTests.size(configuration.path) <= configuration.maxBytes)
            }
            #expect(spool.totals.count + spool.totals.evictedCount == appended, "every record kept or counted as evicted")
            // Exactly the newest are kept, and they read back as sent.
            let kept = try spool.readOldest(limit: appended)
            #expect(kept.map(\.record) == Self.events((appended - kept.count)..<appended))
            held[compression] = spool.totals.count
            spool.close()
            #expect(SpoolBoundTests.size(configuration.path) <= configuration.maxBytes)
        }
        let compressed = try #require(held[.zstd])
        let asSent = try #require(held[SpoolConfiguration.Compression.none])
        #expect(compressed >= 3 * asSent, "\(compressed) records held compressed, \(asSent) as sent")
    }

    /// Events of about 100 bytes barely shrink alone; they are what the
    /// topic's dictionary is for, so not shrinking alone must not stop it being trained.
    @Test func smallEventsThatDoNotShrinkAloneShrinkWithTheirDictionary() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = SpoolFixtures.configuration(directory)
        let spool = try SpoolFixtures.open(configuration)
        defer { spool.close() }
        let records = (0..<2500).map { index in
            let json = "{\"type\":\"click\",\"user\":\(index * 7919 % 100_000),\"button\":\"b\(index % 17)\",\"ms\":\(index % 997)}"
            return Record(topic: "clicks", value: Array(json.utf8), timestamp: Int64(index))
        }
        for batch in stride(from: 0, to: records.count, by: 500) {
            try spool.append(Array(records[batch..<batch + 500]))
        }
        #expect(try spool.readOldest(limit: 3000).map(\.record) == records)
        #expect(try Self.column(configuration.path, "SELECT count(*) FROM value_dictionaries WHERE topic = 'clicks'") == "1")
        let lastThousand = "FROM records WHERE id > 1500"
        #expect(try Self.column(configuration.path, "SELECT count(*) \(lastThousand) AND value_dictionary IS NOT NULL") == "1000")
        let stored = try #require(Int(try Self.column(configuration.path, "SELECT sum(length(value)) \(lastThousand)") ?? ""))
        let sent = try #require(Int(try Self.column(configuration.path, "SELECT sum(value_size) \(lastThousand)") ?? ""))
        #expect(stored * 2 < sent, "stored \(stored) of \(sent) bytes")
    }

    @Test func valuesThatWouldNotShrinkAreStoredAsSent() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = SpoolFixtures.configuration(directory)
        let spool = try SpoolFixtures.open(configuration)
        defer { spool.close() }
        // Bytes from a fixed sequence (SplitMix64), so every run stores the same values.
        var state: UInt64 = 20
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let random = (0..<300).map { index in
            Record(topic: "noise", value: (0..<(50 + index % 400)).map { _ in UInt8(truncatingIfNeeded: next()) }, timestamp: Int64(index))
        }
        // Short values, a NULL and an empty one are stored as sent too.
        let small = [
            Record(topic: "noise", value: Array("tiny".utf8), timestamp: 1),
            Record(topic: "noise", value: nil, timestamp: 2),
            Record(topic: "noise", value: [], timestamp: 3),
        ]
        try spool.append(random + small)
        #expect(try spool.readOldest(limit: 1000).map(\.record) == random + small)
        #expect(try Self.column(configuration.path, "SELECT count(*) FROM records WHERE value_codec != 0 OR value_size IS NOT NULL") == "0")
        #expect(spool.totals.readyBytes == (random + small).reduce(0) { $0 + Spool.cost(of: $1) }, "never charged more than sent")
    }

    @Test func compressionNoneKeepsTheFormatBeforeIt() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = SpoolFixtures.configuration(directory)
        configuration.compression = .none
        let spool = try SpoolFixtures.open(configuration)
        let records = Self.events(0..<500)
        try spool.append(records)
        #expect(try Self.column(configuration.path, "SELECT count(*) FROM records WHERE value_codec = 0 AND value_size IS NULL") == "500")
        #expect(try Self.column(configuration.path, "SELECT count(*) FROM value_dictionaries") == "0")
        #expect(spool.totals.readyBytes == records.reduce(0) { $0 + Spool.cost(of: $1) })
        spool.close()

        // The setting may change between runs: each row says how it was stored.
        configuration.compression = .zstd
        let reopened = try SpoolFixtures.open(configuration)
        defer { reopened.close() }
        try reopened.append(Self.events(500..<600))
        #expect(try reopened.readOldest(limit: 1000).map(\.record) == Self.events(0..<600))
        #expect(try Self.column(configuration.path, "SELECT count(*) FROM records WHERE value_codec = 1") == "100")
    }

    @Test func dictionariesOutliveTheHandleThatTrainedThem() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = SpoolFixtures.configuration(directory)
        try SpoolFixtures.spool(at: configuration.path, records: Self.events(0..<2000))
        let spool = try SpoolFixtures.open(configuration)
        defer { spool.close() }
        try spool.append(Self.events(2000..<2100))
        #expect(try Self.column(configuration.path, "SELECT count(*) FROM value_dictionaries") == "1", "the stored dictionary is used, not trained again")
        #expect(try Self.column(configuration.path, "SELECT count(*) FROM records WHERE id > 2000 AND value_dictionary IS NULL") == "0")
        #expect(try spool.readOldest(limit: 3000).map(\.record) == Self.events(0..<2100))
        // Inspection handles read them too.
        let inspection = try Spool.openForInspection(path: configuration.path)
        #expect(try inspection.record(id: 2100)?.record == Self.events(2099..<2100)[0])
    }

    @Test func escrowCopiesAreStoredAsSentAndSettleReadable() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = SpoolFixtures.configuration(directory)
        let spool = try SpoolFixtures.open(configuration)
        defer { spool.close() }
        let copies = Self.events(0..<4)
        _ = try spool.escrow(copies, keys: [10, 11, 12, 13])
        #expect(try Self.column(configuration.path, "SELECT count(*) FROM escrow WHERE value_codec = 0") == "4")
        try spool.applyEscrowOutcomes(releases: [10], toReady: [(key: 11, possiblyPersisted: false)], toDeadLetters: [(key: 12, possiblyPersisted: true, reason: "INVALID_RECORD")])
        let all = try spool.records(matching: SpoolQuery(area: .all), limit: 10)
        #expect(all.map(\.record.value) == [copies[1].value, copies[2].value])
    }

    /// Damages done by hand to a compressed row, and the column each must be blamed on.
    typealias Damage = SpoolQuarantineTests.Damage

    static let damages: [Damage] = [
        Damage(sql: "UPDATE records SET value = X'28B52FFD2064' || zeroblob(20) WHERE id = 1600", field: .value),
        Damage(sql: "UPDATE records SET value = X'00010203' WHERE id = 1600", field: .value),
        Damage(sql: "UPDATE records SET value = substr(value, 1, length(value) - 3) WHERE id = 1600", field: .value),
        Damage(sql: "UPDATE records SET value = 'text' WHERE id = 1600", field: .value),
        Damage(sql: "UPDATE records SET value_size = value_size + 1 WHERE id = 1600", field: .value),
        Damage(sql: "UPDATE records SET value_size = 1000000000000 WHERE id = 1600", field: .size),
        Damage(sql: "UPDATE records SET value_size = NULL WHERE id = 1600", field: .valueSize),
        Damage(sql: "UPDATE records SET value_size = -1 WHERE id = 1600", field: .valueSize),
        Damage(sql: "UPDATE records SET value_dictionary = 999 WHERE id = 1600", field: .valueDictionary),
        Damage(sql: "UPDATE records SET value_dictionary = 'one' WHERE id = 1600", field: .valueDictionary),
        Damage(sql: "UPDATE records SET value_dictionary = NULL WHERE id = 1600", field: .value),
        Damage(sql: "UPDATE records SET value_codec = 2 WHERE id = 1600", field: .valueCodec),
        Damage(sql: "UPDATE records SET value_codec = 'zstd' WHERE id = 1600", field: .valueCodec),
        Damage(sql: "UPDATE records SET value_is_null = 1 WHERE id = 1600", field: .value),
    ]

    @Test(arguments: damages)
    func aDamagedFrameQuarantinesItsRowAndNothingElse(_ damage: Damage) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = SpoolFixtures.configuration(directory)
        let records = Self.events(0..<2000)
        try SpoolFixtures.spool(at: configuration.path, records: records)
        #expect(try Self.column(configuration.path, "SELECT value_dictionary IS NOT NULL FROM records WHERE id = 1600") == "1")
        try SpoolOpeningTests.execute(configuration.path, damage.sql)

        let spool = try SpoolFixtures.open(configuration)
        defer { spool.close() }
        let page = try spool.readForReplay(limit: 5000)
        #expect(page.quarantined.map(\.id) == [1600])
        #expect(page.quarantined.first?.field == damage.field, "\(page.quarantined.first?.detail ?? "")")
        #expect(page.records.map(\.record) == records.enumerated().filter { $0.offset != 1599 }.map(\.element))
        let dead = try #require(try spool.records(matching: SpoolQuery(area: .deadLetters), limit: 10).first)
        #expect(dead.id == 1600)
        #expect(dead.deadLetterReason?.hasPrefix(SpoolRowProblem.reasonPrefix + damage.field.rawValue) == true)
    }

    @Test func aMissingDictionaryQuarantinesTheRowsThatNeedIt() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = SpoolFixtures.configuration(directory)
        try SpoolFixtures.spool(at: configuration.path, records: Self.events(0..<2000))
        let needing = try #require(Int(try Self.column(configuration.path, "SELECT count(*) FROM records WHERE value_dictionary IS NOT NULL") ?? ""))
        try SpoolOpeningTests.execute(configuration.path, "DELETE FROM value_dictionaries")
        let spool = try SpoolFixtures.open(configuration)
        defer { spool.close() }
        var delivered = 0
        var quarantined: [SpoolRowProblem] = []
        var cursor: Int64 = 0
        while true {
            let page = try spool.readForReplay(limit: 1000, after: cursor)
            delivered += page.records.count
            quarantined += page.quarantined
            guard let last = page.lastID else { break }
            cursor = last
        }
        #expect(quarantined.count == needing)
        #expect(delivered == 2000 - needing, "the rows compressed alone before the dictionary still go")
        #expect(quarantined.allSatisfy { $0.field == .valueDictionary && $0.detail.contains("does not hold") })
        #expect(spool.totals.deadCount == needing)
    }

    @Test func aSpoolFromBeforeCompressionIsReadAndGrowsCompressed() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        try SpoolFixtures.open(SpoolConfiguration(path: path)).close()
        // Back to what version 5 wrote, with a row in it.
        try SpoolOpeningTests.execute(path, """
            \(SpoolOpeningTests.backToVersion5)
            INSERT INTO records (id, topic, key, value, headers, partition, created_at, attempts, cost, possibly_persisted, value_is_null)
                VALUES (1, 'old', NULL, x'28b52ffd', NULL, NULL, 5, 0, 47, 0, 0);
            UPDATE spool_totals SET next_id = 2, ready_count = 1, ready_bytes = 47;
            """)
        let spool = try SpoolFixtures.open(SpoolConfiguration(path: path))
        defer { spool.close() }
        #expect(try SpoolOpeningTests.query(path, "SELECT max(version) FROM spillway_migrations") == "6")
        try spool.append(Self.events(0..<10, topic: "old"))
        let read = try spool.readOldest(limit: 20)
        #expect(read.first?.record.value == [0x28, 0xB5, 0x2F, 0xFD], "an old row is its bytes as sent, even when they look like a frame")
        #expect(read.dropFirst().map(\.record) == Self.events(0..<10, topic: "old"))
    }
}
