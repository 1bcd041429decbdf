import Foundation
import SpillwayAdminContract
@testable import SpillwayCLI
import SpillwayService
import Testing

/// `spillway top` rendered from a recorded status stream, no terminal involved.
@Suite struct TopViewTests {
    /// Three readings one second apart, as `GET /v1/status` returned them during an outage.
    static func recorded(accepted: Int, delivered: Int, spilled: Int, replayed: Int, state: String, mode: String = "auto", ready: Int, dropped: [String: Int] = [:]) -> Data {
        let droppedJSON = dropped.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ",")
        return Data("""
            {"breaker": {"mode": "\(mode)", "state": "\(state)", "last_reason": "failure rate 100% over the last 20 calls reached 50%", "window_calls": 0,
              "failure_rate": 0, "slow_rate": 0, "consecutive_openings": 1, "transitions": {}},
             "ledger": {"accepted": \(accepted), "recovered": 0, "delivered": \(delivered), "replayed": \(replayed), "queued": 10, "in_flight": 5,
              "spooled": \(ready), "spilled": \(spilled), "dropped": {\(droppedJSON)}, "dead_lettered": 0, "rejected": {}, "replay_in_flight": 0,
              "live_queued": 10, "live_queued_bytes": 1000, "in_flight_bytes": 500, "handoff_queued": 0, "handoff_bytes": 0},
             "imbalance": 0, "running": true,
             "replay": {"paused": false, "current_rate": 500, "phase": "ramping", "records_per_second": 5000, "min_records_per_second": 100, "bytes_per_second": 8388608},
             "spool": {"available": true, "ready": \(ready), "ready_bytes": \(ready * 100), "dead_letters": 2, "dead_letter_bytes": 200, "evicted_lifetime": 0},
             "limits": {"queue_max_records": 100, "spool_max_bytes": 1000000, "spool_max_records": 1000}}
            """.utf8)
    }

    static func sample(_ data: Data, at date: Date = Date()) throws -> TopView.Sample {
        TopView.Sample(status: try AdminContract.decode(AdminStatus.self, from: data), takenAt: date)
    }

    static func samples() throws -> [TopView.Sample] {
        let start = Date(timeIntervalSince1970: 1_764_000_000)
        return [
            try sample(recorded(accepted: 1000, delivered: 1000, spilled: 0, replayed: 0, state: "closed", ready: 0), at: start),
            try sample(recorded(accepted: 2000, delivered: 1200, spilled: 800, replayed: 0, state: "open", ready: 800), at: start + 1),
            try sample(recorded(accepted: 3000, delivered: 1400, spilled: 1800, replayed: 200, state: "open", ready: 1600, dropped: ["memory_full": 4]), at: start + 2),
        ]
    }

    /// A service with two clusters: `default` hung and spooling, `audit` healthy.
    static func twoClusters() throws -> AdminStatus {
        var main = try AdminContract.decode(AdminStatus.self, from: recorded(accepted: 3000, delivered: 1400, spilled: 1800, replayed: 0, state: "open", ready: 1600))
        var audit = try AdminContract.decode(AdminStatus.self, from: recorded(accepted: 500, delivered: 500, spilled: 0, replayed: 0, state: "closed", ready: 0))
        main.cluster = "default"
        audit.cluster = "audit"
        audit.topics = ["audit.*"]
        var status = main
        status.clusters = [main, audit]
        return status
    }

    @Test func severalClustersGetALineEachAndOneCanBeFollowed() throws {
        let status = try Self.twoClusters()
        let text = TopView(samples: [TopView.Sample(status: status, takenAt: Date())], source: "admin").render(color: false)
        #expect(text.contains("breaker OPEN"), "the default cluster's dashboard")
        #expect(text.contains("  default      breaker open, 1400 delivered, 15 in memory, 1600 spooled, 0 dropped"), "\(text)")
        #expect(text.contains("  audit        breaker closed, 500 delivered, 15 in memory, 0 spooled, 0 dropped"), "\(text)")
        let followed = try TopCommand.compartment("audit", of: status)
        #expect(followed.ledger.accepted == 500)
        #expect(throws: CLIError.self) { try TopCommand.compartment("audti", of: status) }
        #expect((try? TopCommand.compartment(nil, of: status))?.ledger.accepted == 3000)
        let statusText = StatusCommand.render(status)
        #expect(statusText.contains("cluster default  (every topic not routed elsewhere)"))
        #expect(statusText.contains("cluster audit  (audit.*)\n  breaker     closed (auto)"), "\(statusText)")
    }

    @Test func ratesAndSparklinesComeFromCounterDifferences() async throws {
        let view = TopView(samples: try Self.samples(), source: "http://127.0.0.1:8081", sparklineWidth: 10)
        #expect(view.rates { $0.accepted } == [1000, 1000])
        #expect(view.rates { $0.spilled } == [800, 1000])
        #expect(view.rates { $0.droppedTotal } == [0, 4])
        #expect(Sparkline.draw([0, 4, 8], width: 5) == "   ▅█")
        #expect(Sparkline.draw([], width: 3) == "   ")
    }

    @Test func fullScreenShowsBreakerRatesFillAndReplay() async throws {
        let text = TopView(samples: try Self.samples(), source: "http://127.0.0.1:8081", sparklineWidth: 10).render(color: false)
        #expect(text.contains("breaker OPEN"))
        #expect(text.contains("last change: failure rate 100%"))
        #expect(text.contains("accepted          1000"))
        #expect(text.contains("spooled           1000"))
        #expect(text.contains("dropped              4"))
        #expect(text.contains("memory      [###.................]  15 of 100 records"))
        #expect(text.contains("1600 ready, 2 dead letters"))
        #expect(text.contains("replay      200/s now"))
        #expect(text.contains("ETA 8s"))
        #expect(text.contains("dropped     memory_full 4"))
        #expect(text.contains("balance     ok"))
        #expect(!text.contains("\u{1B}["), "no escape codes without color")
    }

    @Test func plainLinesForPipes() async throws {
        let line = TopView(samples: try Self.samples(), source: "x").line()
        #expect(line.contains("breaker=open"))
        #expect(line.contains("accepted/s=1000"))
        #expect(line.contains("dropped/s=4"))
        #expect(line.contains("imbalance=0"))
    }

    @Test func forcedModesAreNamed() async throws {
        let sample = try Self.sample(Self.recorded(accepted: 1, delivered: 1, spilled: 0, replayed: 0, state: "closed", mode: "open", ready: 0))
        #expect(TopView(samples: [sample], source: "x").render(color: false).contains("FORCED OPEN"))
    }

    /// Issue 21 item 2: figures a service reports, a corrupt spool's totals among
    /// them (`ready` comes from `spool_totals`), are shown clamped, never trapping:
    /// an ETA past Int64's milliseconds, a counter that went backwards past Int.min.
    @Test func extremeFiguresAreShownWithoutTrapping() throws {
        let start = Date(timeIntervalSince1970: 1_764_000_000)
        let samples = [
            try Self.sample(Self.recorded(accepted: 0, delivered: Int.max, spilled: 0, replayed: 0, state: "closed", ready: Int.max / 100), at: start),
            try Self.sample(Self.recorded(accepted: 1, delivered: Int.min, spilled: 0, replayed: 1, state: "closed", ready: Int.max / 100), at: start + 1),
        ]
        let view = TopView(samples: samples, source: "x", sparklineWidth: 10)
        let text = view.render(color: false)
        #expect(text.contains("ETA over 10000d"), "\(text)")
        #expect(view.line().contains("delivered/s=0"), "\(view.line())")
    }
}
