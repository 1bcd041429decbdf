@testable import SpillwayService
import Synchronization
import Testing

/// The listener's own bound on records its clients wait for.
struct ListenerFlowControlTests {
    final class Log: Sendable {
        let entries = Mutex<[String]>([])
        func add(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
    }

    @Test func handOversWaitForRoomInTheOrderAsked() {
        let flow = ListenerFlowControl(maxPendingRecords: 100, maxPendingBytes: 1 << 20)
        let log = Log()
        flow.whenRoom(records: 40, bytes: 10) { log.add("a") }
        flow.whenRoom(records: 40, bytes: 10) { log.add("b") }
        #expect(log.all == ["a"], "b would pass the high mark (50)")
        flow.whenRoom(records: 1, bytes: 1) { log.add("c") }
        #expect(log.all == ["a"], "c fits, but waits behind b")
        flow.answered(records: 40, bytes: 10)
        #expect(log.all == ["a", "b", "c"])
        #expect(flow.waitingRecords == 41)
    }

    @Test func aHandOverLargerThanTheMarkRunsAloneWhenNothingElseWaits() {
        let flow = ListenerFlowControl(maxPendingRecords: 100, maxPendingBytes: 1 << 20)
        let log = Log()
        flow.whenRoom(records: 500, bytes: 10) { log.add("big") }
        #expect(log.all == ["big"])
    }

    @Test func pausedConnectionsReadAgainBelowTheLowMark() {
        let flow = ListenerFlowControl(maxPendingRecords: 100, maxPendingBytes: 1 << 20)
        let log = Log()
        flow.whenRoom(records: 50, bytes: 10) {}
        #expect(flow.isOverHigh)
        let connection = ListenerFlowControl(maxPendingRecords: 1, maxPendingBytes: 1)
        flow.pause(ObjectIdentifier(connection)) { log.add("resumed") }
        flow.answered(records: 20, bytes: 0)
        #expect(log.all.isEmpty, "30 waiting is above the low mark (25)")
        flow.answered(records: 10, bytes: 0)
        #expect(log.all == ["resumed"])
        // Below the low mark already: resumed at once.
        flow.pause(ObjectIdentifier(connection)) { log.add("at once") }
        #expect(log.all == ["resumed", "at once"])
    }

    @Test func batchesAreCutIntoPartsTheBoundsTake() {
        let parts = KafkaRequestResponder.parts(of: 7, sizes: [10, 10, 10, 50, 10, 10, 10], limit: (records: 3, bytes: 40))
        #expect(parts.map(\.range) == [0..<3, 3..<4, 4..<7])
        #expect(parts.map(\.bytes) == [30, 50, 30])
        #expect(KafkaRequestResponder.parts(of: 0, sizes: [], limit: (records: 3, bytes: 40)).isEmpty)
    }
}
