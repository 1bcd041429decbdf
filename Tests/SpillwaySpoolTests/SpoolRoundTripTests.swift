import SpillwaySpool
import SpillwayTestKit
import Testing

@Suite struct SpoolRoundTripTests {
    @Test func everyFieldSurvivesAppendAndRead() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let binary = (0...255).map(UInt8.init)
        let records = [
            Record(
                topic: "audit.v1",
                key: binary,
                value: Array("héllo wörld".utf8),
                headers: [RecordHeader(name: "trace", value: [0, 1, 2]), RecordHeader(name: "trace", value: []), RecordHeader(name: "ü", value: binary)],
                partition: 7,
                timestamp: 1_764_000_000_123,
                attempts: 3
            ),
            Record(topic: "t", key: nil, value: [], timestamp: 0),
            // -1: Kafka's "no timestamp", which a producer may send (the listener keeps it). Below it,
            // Kafka refuses the record, and so does replay (SpoolQuarantineTests).
            Record(topic: "t", key: [], value: [0], headers: [], partition: 0, timestamp: -1),
            Record(topic: "large", value: (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }, timestamp: 42),
        ]
        let spool = try SpoolFixtures.open(SpoolFixtures.configuration(directory))
        let result = try spool.append(records)
        #expect(result.appendedCount == 4)
        #expect(result.evictedCount == 0)
        spool.close()

        // Read back through a fresh handle: what is on disk, not what is cached.
        let reopened = try SpoolFixtures.open(SpoolFixtures.configuration(directory))
        let read = try reopened.readOldest(limit: 10)
        #expect(read.map(\.record) == records)
        #expect(read.map(\.id) == Array(result.ids!))
        #expect(read.allSatisfy { !$0.isDeadLetter })
        #expect(reopened.totals.readyCount == 4)
        // Charged as stored (the large value compresses), never more than as sent.
        #expect(try SpoolOpeningTests.query(reopened.configuration.path, "SELECT sum(cost) FROM records") == "\(reopened.totals.readyBytes)")
        #expect(reopened.totals.readyBytes < records.map(Spool.cost(of:)).reduce(0, +))
    }

    @Test func readsOldestFirstAcrossBatchesAndPages() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let spool = try SpoolFixtures.open(SpoolFixtures.configuration(directory))
        for batch in 0..<10 {
            try spool.append(SpoolFixtures.records(batch * 50..<(batch + 1) * 50))
        }
        var seen: [Int] = []
        var after: Int64 = 0
        while case let page = try spool.readOldest(limit: 64, after: after), let last = page.last {
            seen += page.compactMap { SpoolFixtures.index(of: $0.record) }
            #expect(page.map(\.id) == page.map(\.id).sorted())
            after = last.id
        }
        #expect(seen == Array(0..<500))
    }

    @Test func idsAreNeverReusedAfterDeletes() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let spool = try SpoolFixtures.open(SpoolFixtures.configuration(directory))
        let first = try spool.append(SpoolFixtures.records(0..<10))
        #expect(try spool.delete(ids: Array(first.ids!)) == 10)
        spool.close()
        let reopened = try SpoolFixtures.open(SpoolFixtures.configuration(directory))
        let second = try reopened.append(SpoolFixtures.records(10..<11))
        #expect(second.ids!.lowerBound > first.ids!.upperBound)
    }

    @Test func deleteAndDeadLetterKeepTotalsExact() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let spool = try SpoolFixtures.open(SpoolFixtures.configuration(directory))
        let appended = try spool.append(SpoolFixtures.records(0..<100))
        let ids = Array(appended.ids!)
        #expect(try spool.delete(ids: ids[0..<10]) == 10)
        #expect(try spool.delete(ids: ids[0..<10]) == 0, "deleting twice deletes nothing")
        #expect(try spool.moveToDeadLetters(ids: ids[10..<15], reason: "MSG_SIZE_TOO_LARGE") == 5)
        try spool.append(SpoolFixtures.records(100..<103, topic: "bad"), as: .deadLetter(reason: "TOPIC_AUTHORIZATION_FAILED"))

        #expect(spool.totals.readyCount == 85)
        #expect(spool.totals.deadCount == 8)
        let stats = try spool.statistics()
        #expect(stats.readyCount == 85 && stats.deadCount == 8)
        #expect(stats.readyBytes == stats.topics.map(\.readyBytes).reduce(0, +))
        #expect(stats.deadBytes == stats.topics.map(\.deadBytes).reduce(0, +))
        #expect(stats.topics.first { $0.topic == "bad" }?.deadCount == 3)

        let ready = try spool.readOldest(limit: 1000)
        #expect(ready.count == 85)
        #expect(ready.first?.id == ids[15], "dead letters are never replayed")
        let dead = try spool.records(matching: SpoolQuery(area: .deadLetters), limit: 100)
        #expect(dead.map(\.deadLetterReason) == Array(repeating: "MSG_SIZE_TOO_LARGE", count: 5) + Array(repeating: "TOPIC_AUTHORIZATION_FAILED", count: 3))

        spool.close()
        let reopened = try SpoolFixtures.open(SpoolFixtures.configuration(directory))
        #expect(reopened.totals == spool.totals, "totals persist with the data")
    }
}
