@testable import Spillway
import Testing

/// The replay's token bucket, with time passed in: refill, the burst cap, the
/// byte budget and its debt, rate changes and restarts.
@Suite struct ReplayThrottleTests {
    let start = ContinuousClock.now

    /// 1000 records/s (a burst of 100), bytes practically unbounded.
    func throttle(recordsPerSecond: Double = 1000, bytesPerSecond: Double = 1e12, batchSize: Int = 500) -> ReplayThrottle {
        ReplayThrottle(recordsPerSecond: recordsPerSecond, bytesPerSecond: bytesPerSecond, batchSize: batchSize, now: start)
    }

    /// `start` plus `milliseconds`; the tests use times whose seconds are exact in binary.
    func at(_ milliseconds: Double) -> ContinuousClock.Instant {
        start + .nanoseconds(Int64(milliseconds * 1_000_000))
    }

    @Test func itStartsEmpty() {
        var throttle = throttle()
        #expect(throttle.available(at: start, limit: 1000) == 0)
        #expect(throttle.available(at: start, limit: 1000) == 0, "no time, no tokens")
    }

    @Test func itRefillsAtTheRate() {
        var throttle = throttle()
        #expect(throttle.available(at: at(62.5), limit: 1000) == 62)
        // Asking is not reading: the same tokens are there until consumed.
        #expect(throttle.available(at: at(62.5), limit: 1000) == 62)
        #expect(throttle.available(at: at(62.5), limit: 7) == 7, "never more than the limit")
        #expect(throttle.available(at: at(93.75), limit: 1000) == 93)
    }

    @Test func theBurstIsATenthOfASecondsWorth() {
        var throttle = throttle()
        #expect(throttle.available(at: at(10_000), limit: 100_000) == 100, "ten seconds idle buy 0.1 s, not 10 s")
    }

    @Test func theBurstIsAtMostOneBatchAndAtLeastOneRecord() {
        var fast = throttle(recordsPerSecond: 1_000_000, batchSize: 500)
        #expect(fast.available(at: at(1000), limit: 100_000) == 500)
        var slow = throttle(recordsPerSecond: 5)
        #expect(slow.available(at: at(100), limit: 10) == 0, "half a token")
        #expect(slow.available(at: at(200), limit: 10) == 1)
        #expect(slow.available(at: at(60_000), limit: 10) == 1, "a burst of one at 5/s")
    }

    @Test func consumedTokensAreGoneAndFractionsAreKept() {
        var throttle = throttle()
        #expect(throttle.available(at: at(62.5), limit: 1000) == 62)
        throttle.consume(records: 62, bytes: 6200)
        #expect(throttle.available(at: at(62.5), limit: 1000) == 0)
        // The half token left over counts: 0.5 + 1.95 is two.
        #expect(throttle.available(at: at(62.5 + 1.953125), limit: 1000) == 2)
    }

    /// Reading whatever is available in small steps sustains the configured rate.
    @Test(arguments: [1.0, 3.0, 7.0, 40.0])
    func aSustainedReaderGetsTheRate(stepMilliseconds: Double) {
        var throttle = throttle()
        var total = 0
        var elapsed = 0.0
        while elapsed < 10_000 {
            elapsed += stepMilliseconds
            let count = throttle.available(at: at(elapsed), limit: 500)
            throttle.consume(records: count, bytes: count * 100)
            total += count
        }
        let expected = Int(elapsed)  // 1000/s over `elapsed` ms
        #expect((expected - 2)...expected ~= total, "\(total) records in \(elapsed) ms")
    }

    /// Bytes may go into debt: one big read is allowed, and the next waits until refills pay it back.
    @Test func bytesGoIntoDebtThatRefillsPayBack() {
        var throttle = throttle(recordsPerSecond: 1000, bytesPerSecond: 10_000)
        #expect(throttle.available(at: at(1000), limit: 1000) == 100)
        throttle.consume(records: 1, bytes: 5001)  // 1001 byte tokens at most: 4000 in debt
        #expect(throttle.available(at: at(1000), limit: 1000) == 0)
        #expect(throttle.available(at: at(1375), limit: 1000) == 0, "250 bytes still owed")
        #expect(throttle.available(at: at(1500), limit: 1000) == 100)
    }

    /// With small records' byte rate the tighter bound, the byte rate holds over time.
    @Test func theByteRateBoundsASustainedReader() {
        var throttle = throttle(recordsPerSecond: 1000, bytesPerSecond: 10_000)
        var total = 0
        for step in 1...1000 {
            let count = throttle.available(at: at(Double(step) * 10), limit: 500)
            throttle.consume(records: count, bytes: count * 100)
            total += count
        }
        // 10 s at 10,000 B/s of 100 B records: 1000, plus at most the byte burst and one read's overshoot.
        #expect(950...1110 ~= total, "\(total) records of 100 B in 10 s at 10,000 B/s")
    }

    @Test func aLowerRateCutsTheEarnedTokensToItsBurst() {
        var throttle = throttle()
        #expect(throttle.available(at: at(1000), limit: 1000) == 100)
        throttle.setRate(recordsPerSecond: 100, bytesPerSecond: 1e12)
        #expect(throttle.recordsPerSecond == 100)
        #expect(throttle.available(at: at(1000), limit: 1000) == 10)
        throttle.consume(records: 10, bytes: 0)
        #expect(throttle.available(at: at(1062.5), limit: 1000) == 6, "refills at the new rate")
    }

    @Test func aHigherRateRefillsFasterWithALargerBurst() {
        var throttle = throttle()
        #expect(throttle.available(at: at(1000), limit: 1000) == 100)
        throttle.consume(records: 100, bytes: 0)
        throttle.setRate(recordsPerSecond: 10_000, bytesPerSecond: 1e12)
        #expect(throttle.available(at: at(1031.25), limit: 1000) == 312)
        #expect(throttle.available(at: at(5000), limit: 1000) == 500, "the burst is now one batch")
    }

    @Test func restartEmptiesTheBucketAndForgetsTheDebtAndTheIdleTime() {
        var throttle = throttle(recordsPerSecond: 1000, bytesPerSecond: 10_000)
        #expect(throttle.available(at: at(1000), limit: 1000) == 100)
        throttle.consume(records: 1, bytes: 1_000_000)
        #expect(throttle.available(at: at(2000), limit: 1000) == 0, "deep in debt")
        throttle.restart(at: at(60_000))
        #expect(throttle.available(at: at(60_000), limit: 1000) == 0, "starts empty, the idle minute earns nothing")
        #expect(throttle.available(at: at(60_015.625), limit: 1000) == 15, "and the debt is forgiven")
    }
}
