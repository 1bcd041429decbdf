@testable import Spillway
import SpillwaySpool
import Testing

@Suite struct InFlightWindowTests {
    let start = ContinuousClock.now

    func emptyWindow() -> InFlightWindow {
        InFlightWindow(epoch: start)
    }

    func insert(_ id: Int64, at offset: Duration, into window: inout InFlightWindow) -> UInt {
        window.insert(.replay(id: id), sentAt: window.stamp(start + offset))
    }

    func id(_ record: InFlightRecord?) -> Int64? {
        if case .replay(let id)? = record?.origin { id } else { nil }
    }

    @Test func idsAreSequentialFromOneAndRemovalInAnyOrderWorks() {
        var window = emptyWindow()
        #expect(window.nextOpaque == 1, "0 would be a null opaque pointer")
        let opaques = (0..<5).map { insert(Int64($0), at: .zero, into: &window) }
        #expect(opaques == [1, 2, 3, 4, 5])
        #expect(id(window.remove(3)) == 2)
        #expect(window.remove(3) == nil, "a report for a removed id is ignored")
        #expect(id(window.remove(1)) == 0)
        #expect(window.count == 3)
        #expect(window.remove(99) == nil)
        #expect(insert(5, at: .zero, into: &window) == 6, "ids keep rising after removals")
        #expect(id(window.remove(2)) == 1)
        #expect(window.removeAll().compactMap(id) == [3, 4, 5])
        #expect(window.isEmpty)
        #expect(insert(6, at: .zero, into: &window) == 7)
    }

    /// An outage's worth of records in flight, settled out of order: the window
    /// takes fresh storage once empty (not before), and ids keep rising.
    @Test func aWindowThatOutgrewItsReservationRenewsItsStorageOnceEmptied() {
        var window = emptyWindow()
        let burst = InFlightWindow.reservation * 3
        let opaques = (0..<burst).map { insert(Int64($0), at: .zero, into: &window) }
        #expect(window.outgrewReservation)
        // The back half first: the front stays, so nothing can be renewed yet.
        for opaque in opaques.reversed().prefix(burst / 2) { #expect(window.remove(opaque) != nil) }
        #expect(window.outgrewReservation && window.heldEntries == burst && window.count == burst - burst / 2)
        for opaque in opaques.prefix(burst - burst / 2 - 1) { #expect(window.remove(opaque) != nil) }
        #expect(window.outgrewReservation, "one record is still in flight")
        #expect(id(window.remove(opaques[burst - burst / 2 - 1])) == Int64(burst - burst / 2 - 1))
        #expect(!window.outgrewReservation && window.isEmpty && window.heldEntries == 0)
        #expect(insert(-1, at: .zero, into: &window) == UInt(burst + 1), "ids keep rising across the renewal")
        #expect(id(window.remove(UInt(burst + 1))) == -1)
        // Traffic within the reservation never renews.
        for round in 0..<3 {
            let small = (0..<InFlightWindow.reservation).map { _ in insert(Int64(round), at: .zero, into: &window) }
            #expect(!window.outgrewReservation)
            for opaque in small { _ = window.remove(opaque) }
        }
    }

    /// Reports come back in any order: each finds its own record, once, and the
    /// window ends empty with ids still rising.
    @Test func removalInAnyOrderFindsEachRecordOnce() {
        var window = emptyWindow()
        var generator = SystemRandomNumberGenerator()
        let opaques = (0..<1000).map { insert(Int64($0), at: .zero, into: &window) }
        // Mostly in order, with runs settled out of order as several brokers answer.
        var order = opaques
        for start in stride(from: 0, to: order.count, by: 50) where Bool.random(using: &generator) {
            order[start..<min(start + 50, order.count)].shuffle(using: &generator)
        }
        for opaque in order {
            #expect(id(window.remove(opaque)) == Int64(opaque - 1))
            #expect(window.remove(opaque) == nil)
        }
        #expect(window.isEmpty)
        #expect(window.heldEntries == 0, "settled entries leave the front, out-of-order ones too")
        #expect(window.removeAll().isEmpty)
        #expect(insert(1000, at: .zero, into: &window) == 1001)
    }

    @Test func slowScanCountsEachOldRecordOnceAndSkipsWarmUp() {
        var window = emptyWindow()
        for second in 0..<6 { _ = insert(Int64(second), at: .seconds(second), into: &window) }
        _ = window.remove(2)
        // Sent before 4 s counts as slow; before 1 s was warm-up.
        #expect(window.markSlow(sentBefore: start + .seconds(4), notBefore: start + .seconds(1)) == 2, "records sent at 1 s and 3 s")
        #expect(window.markSlow(sentBefore: start + .seconds(4), notBefore: start + .seconds(1)) == 0, "never twice")
        #expect(window.markSlow(sentBefore: start + .seconds(10), notBefore: start) == 2)
        #expect(window.remove(1)?.countedSlow == true)
    }
}
