@testable import Spillway
import Testing

/// The replay controller as a pure state machine: observations and time in,
/// rate and phase out.
@Suite struct ReplayControllerTests {
    let start = ContinuousClock.now
    static let configuration = ReplayConfiguration(recordsPerSecond: 10_000, bytesPerSecond: 1e9, minRecordsPerSecond: 100, batchSize: 500)
    static let replaying = ReplayController.Context(backlog: true, paused: false, breakerAllows: true, breakerClosed: true)
    static let healthyIdle = ReplayController.Context(backlog: false, paused: false, breakerAllows: true, breakerClosed: true)

    /// A controller that measured a healthy baseline of 5 ms before the backlog appeared.
    func measuredController(baseline: Duration = .milliseconds(5), loneRecordDelay: Duration = .zero) -> (ReplayController, ContinuousClock.Instant) {
        var controller = ReplayController(configuration: Self.configuration, now: start, loneRecordDelay: loneRecordDelay)
        var now = start
        for _ in 0..<5 {
            for _ in 0..<20 { controller.delivered(latency: baseline) }
            now += ReplayController.interval
            _ = controller.tick(at: now, Self.healthyIdle)
        }
        return (controller, now)
    }

    /// One interval with `count` deliveries of `latency`.
    func interval(_ controller: inout ReplayController, _ now: inout ContinuousClock.Instant, latency: Duration?, count: Int = 50, context: ReplayController.Context = replaying) {
        if let latency { for _ in 0..<count { controller.delivered(latency: latency) } }
        now += ReplayController.interval
        _ = controller.tick(at: now, context)
    }

    @Test func measuresTheHealthyBaselineWhileNotReplaying() {
        let (controller, _) = measuredController(baseline: .milliseconds(5))
        #expect(controller.baseline == .milliseconds(5))
        #expect(controller.phase == .idle)
        #expect(controller.rate == 100, "idle, it sits at the floor, where the next replay starts")
    }

    @Test func decidesOncePerInterval() {
        var (controller, now) = measuredController()
        let early = controller.tick(at: now + .milliseconds(50), Self.replaying)
        #expect(!early)
        #expect(controller.phase == .idle)
        let onTime = controller.tick(at: now + ReplayController.interval, Self.replaying)
        #expect(onTime)
        now += ReplayController.interval
        #expect(controller.phase == .ramping)
    }

    /// Slow start: the rate doubles every healthy interval, from the floor to the ceiling.
    @Test func doublesWhileDeliveriesStayAsFastAsTheBaselineUpToTheCeiling() {
        var (controller, now) = measuredController()
        var rates: [Double] = []
        for _ in 0..<9 {
            interval(&controller, &now, latency: .milliseconds(6))
            rates.append(controller.rate)
        }
        #expect(rates == [200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000])
        #expect(controller.phase == .atCeiling)
    }

    @Test func halvesWhenLatencyGrowsAndThenGrowsByAQuarter() {
        var (controller, now) = measuredController()
        for _ in 0..<5 { interval(&controller, &now, latency: .milliseconds(5)) }
        #expect(controller.rate == 3200)
        interval(&controller, &now, latency: .milliseconds(40))
        #expect(controller.phase == .backingOff)
        #expect(controller.rate == 1600)
        interval(&controller, &now, latency: .milliseconds(5))
        #expect(controller.phase == .ramping)
        #expect(controller.rate == 1600 * 1.25 + 100, "after congestion, no more doubling")
    }

    @Test func holdsWhenLatencyIsAboveTheBaselineButNotAlarming() {
        var (controller, now) = measuredController(baseline: .milliseconds(20))
        for _ in 0..<3 { interval(&controller, &now, latency: .milliseconds(20)) }
        let rate = controller.rate
        interval(&controller, &now, latency: .milliseconds(30))
        #expect(controller.phase == .holding)
        #expect(controller.rate == rate)
    }

    @Test(arguments: ["failure", "queue full", "slow call"])
    func backsOffOnErrorsQueueFullOrSlowCalls(_ signal: String) {
        var (controller, now) = measuredController()
        for _ in 0..<4 { interval(&controller, &now, latency: .milliseconds(5)) }
        #expect(controller.rate == 1600)
        switch signal {
        case "failure": controller.failed()
        case "queue full": controller.queueFull()
        default: controller.slowCall()
        }
        interval(&controller, &now, latency: .milliseconds(5))
        #expect(controller.phase == .backingOff)
        #expect(controller.rate == 800)
    }

    /// Kafka degraded (round trip 500 ms): the rate goes to the floor and stays
    /// there, then catches up once deliveries are fast again.
    @Test func staysAtTheFloorWhileKafkaIsDegradedThenCatchesUp() {
        var (controller, now) = measuredController()
        for _ in 0..<6 { interval(&controller, &now, latency: .milliseconds(5)) }
        for _ in 0..<20 { interval(&controller, &now, latency: .milliseconds(500), count: 5) }
        #expect(controller.rate == 100, "the floor")
        #expect(controller.phase == .backingOff)
        var intervals = 0
        while controller.rate < 10_000, intervals < 100 {
            interval(&controller, &now, latency: .milliseconds(5))
            intervals += 1
        }
        #expect(controller.phase == .atCeiling)
        #expect(intervals <= 30, "back at the ceiling within 3 s (\(intervals) intervals)")
    }

    /// The outage benchmark's stalled `degraded` runs: the 500 ms round trip drove
    /// the rate to the floor; once Kafka was healthy again, records replayed alone
    /// took 20 ms (the whole linger of 5 ms and the client's wake-ups) against a
    /// baseline of 5 ms measured under load, which the old rule read as congestion,
    /// so the backlog stayed at the floor for minutes.
    @Test func leavesTheFloorWhenLatencyIsSteadyAndNothingFails() {
        var (controller, now) = measuredController(baseline: .milliseconds(5), loneRecordDelay: .milliseconds(5))
        for _ in 0..<10 { interval(&controller, &now, latency: .milliseconds(500), count: 10) }
        #expect(controller.rate == 100)
        #expect(controller.phase == .backingOff)
        var intervals = 0
        while controller.rate < 10_000, intervals < 600 {
            interval(&controller, &now, latency: .milliseconds(20), count: 10)
            intervals += 1
        }
        #expect(controller.phase == .atCeiling, "steady 20 ms and no error is not congestion")
        #expect(intervals <= 30, "at the ceiling within 3 s (\(intervals) intervals)")
    }

    /// Between "about the baseline" and congestion, the latency's trend decides:
    /// steady or falling grows the rate by a quarter, growing holds it.
    @Test func slowerThanTheBaselineGrowsWhileSteadyAndHoldsWhileGrowing() {
        var (controller, now) = measuredController(baseline: .milliseconds(10))
        for _ in 0..<3 { interval(&controller, &now, latency: .milliseconds(10)) }
        let rate = controller.rate
        interval(&controller, &now, latency: .milliseconds(16))
        #expect(controller.phase == .holding)
        #expect(controller.rate == rate)
        interval(&controller, &now, latency: .milliseconds(16))
        #expect(controller.phase == .ramping)
        #expect(controller.rate == rate * 1.25 + 100)
        interval(&controller, &now, latency: .milliseconds(15))
        #expect(controller.rate == (rate * 1.25 + 100) * 1.25 + 100)
    }

    /// A lone record's linger is not congestion, but a round trip of 500 ms is,
    /// whatever the allowance.
    @Test func theLingerAllowanceDoesNotHideASlowCluster() {
        var (controller, now) = measuredController(baseline: .milliseconds(5), loneRecordDelay: .milliseconds(5))
        #expect(controller.congestionAllowance == .milliseconds(20))
        for _ in 0..<4 { interval(&controller, &now, latency: .milliseconds(5)) }
        let rate = controller.rate
        interval(&controller, &now, latency: .milliseconds(26))
        #expect(controller.phase == .backingOff)
        #expect(controller.rate == rate / 2)
    }

    /// Nothing delivered in an interval: nothing learned, the rate holds.
    @Test func anIntervalWithoutDeliveriesChangesNothing() {
        var (controller, now) = measuredController()
        for _ in 0..<3 { interval(&controller, &now, latency: .milliseconds(5)) }
        let rate = controller.rate
        interval(&controller, &now, latency: nil)
        #expect(controller.rate == rate)
    }

    /// With no baseline (the backlog was there at start), the fastest interval of
    /// this replay stands in for it.
    @Test func withoutABaselineTheFastestIntervalIsTheReference() {
        var controller = ReplayController(configuration: Self.configuration, now: start)
        var now = start
        for _ in 0..<4 { interval(&controller, &now, latency: .milliseconds(8)) }
        #expect(controller.baseline == nil)
        #expect(controller.rate == 1600)
        interval(&controller, &now, latency: .milliseconds(30))
        #expect(controller.phase == .backingOff)
    }

    @Test func pausedWaitingAndIdleSitAtTheFloorAndSayWhy() {
        var (controller, now) = measuredController()
        for _ in 0..<5 { interval(&controller, &now, latency: .milliseconds(5)) }
        interval(&controller, &now, latency: .milliseconds(5), context: .init(backlog: true, paused: true, breakerAllows: true, breakerClosed: true))
        #expect(controller.phase == .paused)
        #expect(controller.rate == 100)
        interval(&controller, &now, latency: nil, context: .init(backlog: true, paused: false, breakerAllows: false, breakerClosed: false))
        #expect(controller.phase == .waiting)
        interval(&controller, &now, latency: .milliseconds(5), context: Self.healthyIdle)
        #expect(controller.phase == .idle)
        #expect(!controller.phase.isReplaying)
        interval(&controller, &now, latency: .milliseconds(5))
        #expect(controller.rate == 200, "each replay starts again from the floor")
    }

    /// A baseline is only taken while healthy: not half-open, not during a replay, not with errors.
    @Test func theBaselineIgnoresUnhealthyIntervals() {
        var (controller, now) = measuredController(baseline: .milliseconds(5))
        interval(&controller, &now, latency: .milliseconds(900), context: .init(backlog: false, paused: false, breakerAllows: true, breakerClosed: false))
        controller.failed()
        interval(&controller, &now, latency: .milliseconds(900), context: Self.healthyIdle)
        interval(&controller, &now, latency: .milliseconds(900))
        #expect(controller.baseline == .milliseconds(5))
    }

    @Test func operatorsCeilingsAndFloorWinAtOnce() {
        var (controller, now) = measuredController()
        for _ in 0..<9 { interval(&controller, &now, latency: .milliseconds(5)) }
        #expect(controller.rate == 10_000)
        controller.setConfiguration(ReplayConfiguration(recordsPerSecond: 2000, bytesPerSecond: 1e9, minRecordsPerSecond: 100, batchSize: 500))
        #expect(controller.rate == 2000)
        controller.setConfiguration(.fixed(recordsPerSecond: 3000))
        #expect(controller.rate == 3000)
        interval(&controller, &now, latency: .milliseconds(500))
        #expect(controller.rate == 3000, "a fixed rate: the floor is the ceiling")
    }
}
