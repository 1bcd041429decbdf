@testable import Spillway
import Testing

@Suite struct AckWaitersTests {
    typealias Waiters = AckWaiters<String>
    static let start = ContinuousClock.now

    static func waiters(records: Int = 10, bytes: Int = 1000, timeout: Duration = .seconds(2)) -> Waiters {
        Waiters(limits: AckConfiguration(timeout: timeout, maxPendingRecords: records, maxPendingBytes: bytes))
    }

    @Test func roomIsBoundedInRecordsAndInBytes() {
        var waiters = Self.waiters(records: 2, bytes: 100)
        #expect(waiters.hasRoom(forBytes: 100))
        #expect(!waiters.hasRoom(forBytes: 101), "one record alone over the byte bound")
        waiters.register(1, level: .spool, size: 60, disposition: .spooled, token: "a", now: Self.start)
        #expect(!waiters.hasRoom(forBytes: 41))
        #expect(waiters.hasRoom(forBytes: 40))
        waiters.register(2, level: .kafka, size: 40, disposition: .queued, token: "b", now: Self.start)
        #expect(!waiters.hasRoom(forBytes: 0), "two records is the bound")
        #expect(waiters.pendingCount == 2 && waiters.pendingBytes == 100)
        #expect(waiters.remove(1)?.token == "a")
        #expect(waiters.remove(1) == nil, "answered once")
        #expect(waiters.pendingCount == 1 && waiters.pendingBytes == 40)
        #expect(waiters.hasRoom(forBytes: 60))
    }

    @Test func deadlinesExpireInOrderAndSkipAnsweredWaiters() {
        var waiters = Self.waiters(timeout: .seconds(2))
        for id in 1...3 {
            waiters.register(UInt64(id), level: .kafka, size: 1, disposition: .queued, token: "w\(id)", now: Self.start + .milliseconds(100 * id))
        }
        _ = waiters.remove(2)
        #expect(waiters.removeExpired(now: Self.start + .milliseconds(2099)).isEmpty, "nobody's deadline yet")
        let first = waiters.removeExpired(now: Self.start + .milliseconds(2250))
        #expect(first.map(\.id) == [1], "2 was answered already; 3 is due at 2.3 s")
        waiters.setDisposition(3, .spooled)
        let second = waiters.removeExpired(now: Self.start + .seconds(10))
        #expect(second.map(\.id) == [3])
        #expect(second.first?.waiter.disposition == .spooled, "the deadline's answer says where the record went")
        #expect(waiters.isEmpty && waiters.pendingBytes == 0)
        #expect(waiters.scheduledDeadlines == 0)
    }

    /// Waiters answered in order leave no deadline behind: the queue stays about as
    /// long as the number waiting, however many pass through.
    @Test func answeredWaitersDoNotPileUpDeadlines() {
        var waiters = Self.waiters(records: 5)
        for id in 1...10_000 {
            waiters.register(UInt64(id), level: .spool, size: 1, disposition: .spooled, token: "", now: Self.start)
            _ = waiters.remove(UInt64(id))
        }
        #expect(waiters.scheduledDeadlines <= 1)
    }
}
