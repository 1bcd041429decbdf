@testable import Spillway
import Testing

@Suite struct ConnectionWarmUpTests {
    let start = ContinuousClock.now

    @Test func waitsBeforeTheFirstAcknowledgementAreNotLatency() {
        var warmUp = ConnectionWarmUp(startedAt: start, grace: .seconds(10))
        #expect(warmUp.slowScanFloor(at: start + .seconds(1)) == nil, "inside the grace nothing counts as slow")
        warmUp.acknowledged(at: start + .seconds(2))
        #expect(warmUp.latency(sentAt: start, now: start + .seconds(2)) == .zero, "sent before the first connection")
        #expect(warmUp.latency(sentAt: start + .seconds(3), now: start + .seconds(3) + .milliseconds(40)) == .milliseconds(40))
        #expect(warmUp.slowScanFloor(at: start + .seconds(3)) == start + .seconds(2), "records sent before it are not counted")
        warmUp.acknowledged(at: start + .seconds(5))
        #expect(warmUp.connectedAt == start + .seconds(2), "the first acknowledgement is the one that counts")
    }

    /// A cluster that hangs from the start: past the grace, every record in flight is evidence.
    @Test func pastTheGraceWithoutAnAcknowledgementEveryRecordCounts() {
        let warmUp = ConnectionWarmUp(startedAt: start, grace: .seconds(10))
        #expect(warmUp.slowScanFloor(at: start + .seconds(9)) == nil)
        #expect(warmUp.slowScanFloor(at: start + .seconds(10)) == start)
    }
}
