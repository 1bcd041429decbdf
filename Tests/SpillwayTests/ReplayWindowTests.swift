@testable import Spillway
import SpillwaySpool
import Testing

/// The replay window in bytes: issue 22 made the window 5,000 records (from
/// 500) for speed; with large records that alone would put gigabytes in flight.
@Suite struct ReplayWindowTests {
    static func totals(count: Int, bytes: Int) -> SpoolTotals {
        var totals = SpoolTotals()
        totals.readyCount = count
        totals.readyBytes = bytes
        return totals
    }

    @Test func smallRecordsKeepTheWholeWindow() {
        #expect(ReplayReader.window(records: 5000, bytes: 32 << 20, totals: Self.totals(count: 1_000_000, bytes: 140_000_000)) == 5000)
    }

    @Test func largeRecordsShrinkItToTheByteBudget() {
        // 1 MB records: 32 MiB holds 33 of them, not 5,000.
        #expect(ReplayReader.window(records: 5000, bytes: 32 << 20, totals: Self.totals(count: 1000, bytes: 1_000_000_000)) == 33)
        // One record larger than the whole budget still goes, alone.
        #expect(ReplayReader.window(records: 5000, bytes: 32 << 20, totals: Self.totals(count: 2, bytes: 200 << 20)) == 1)
    }

    @Test func anEmptyOrOddSpoolKeepsTheConfiguredWindow() {
        #expect(ReplayReader.window(records: 500, bytes: 32 << 20, totals: Self.totals(count: 0, bytes: 0)) == 500)
        #expect(ReplayReader.window(records: 500, bytes: 32 << 20, totals: Self.totals(count: 10, bytes: 0)) == 500)
    }
}
