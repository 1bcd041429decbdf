import SpillwaySpool
import SpillwayTestKit
import Testing

/// The spool's page cache is given back once a backlog is gone.
@Suite struct SpoolCacheTests {
    @Test func releasingTheCacheFreesWhatABacklogLeftAndTheSpoolStillWorks() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let spool = try SpoolFixtures.open(SpoolFixtures.configuration(directory))
        for batch in 0..<40 {
            try spool.append(SpoolFixtures.records(batch * 500..<(batch + 1) * 500))
        }
        let filled = spool.cachedBytes
        #expect(filled >= 1 << 20, "20,000 records leave SQLite's page cache about full: \(filled) bytes")
        spool.releaseCachedPages()
        #expect(spool.cachedBytes < filled / 8, "after: \(spool.cachedBytes) of \(filled) bytes")
        // Pages are read again when needed.
        let oldest = try spool.readOldest(limit: 3)
        #expect(oldest.compactMap { SpoolFixtures.index(of: $0.record) } == [0, 1, 2])
        try spool.append(SpoolFixtures.records(20_000..<20_001))
        #expect(spool.totals.readyCount == 20_001)
    }
}
