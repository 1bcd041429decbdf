import Foundation
import SpillwayAdminContract
@testable import SpillwayCLI
import SpillwayService
import Testing

/// `spillway status` rendered from a status document as the service serves it.
@Suite struct StatusCommandTests {
    @Test func showsTheBreakerTheBooksAndTheReplay() async throws {
        let data = TopViewTests.recorded(accepted: 3000, delivered: 1400, spilled: 1800, replayed: 200, state: "open", ready: 1600, dropped: ["memory_full": 4])
        let text = StatusCommand.render(try AdminContract.decode(AdminStatus.self, from: data))
        #expect(text.contains("breaker     open (auto)"))
        #expect(text.contains("last change: failure rate 100%"))
        #expect(text.contains("accepted    3000  (+ 0 recovered from the spool)"))
        #expect(text.contains("delivered   1400  (200 replayed)"))
        #expect(text.contains("queued      10   in flight 5"))
        #expect(text.contains("spooled     1600  (ready 1600, dead letters 2)"))
        #expect(text.contains("dropped     memory_full 4"))
        #expect(text.contains("replay      500 records/s now (ramping), floor 100/s, ceiling 5000/s"))
        #expect(text.contains("balance     ok"))
    }

    @Test func aForcedModeSaysWhoHoldsIt() async throws {
        let data = TopViewTests.recorded(accepted: 1, delivered: 1, spilled: 0, replayed: 0, state: "closed", mode: "closed", ready: 0)
        let text = StatusCommand.render(try AdminContract.decode(AdminStatus.self, from: data))
        #expect(text.contains("breaker     forced closed (by an operator; `spillway breaker auto` releases it)"))
        #expect(text.contains("dropped     0"))
    }

    /// Issue 21 item 2: a rate beyond `Int` (as an older service's admin API took
    /// for a ceiling) is shown, not converted with a trap.
    @Test func ratesBeyondIntAreShown() throws {
        let recorded = String(decoding: TopViewTests.recorded(accepted: 1, delivered: 1, spilled: 0, replayed: 0, state: "closed", ready: 0), as: UTF8.self)
            .replacingOccurrences(of: "\"current_rate\": 500", with: "\"current_rate\": 1e300")
            .replacingOccurrences(of: "\"records_per_second\": 5000", with: "\"records_per_second\": 1.5e19")
        let text = StatusCommand.render(try AdminContract.decode(AdminStatus.self, from: Data(recorded.utf8)))
        #expect(text.contains("replay      1e+300 records/s now (ramping), floor 100/s, ceiling 1.5e+19/s"), "\(text)")
    }
}
