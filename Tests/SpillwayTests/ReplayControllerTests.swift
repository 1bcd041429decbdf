@testable import Spillway
import Testing

/// The replay controller as a pure state machine: observations and time in,
/// rate and phase out. Time is the test's own: every interval is exactly
/// `ReplayController.interval` long, so delivery rates are exact.
@Suite struct ReplayControllerTests {
    let start = ContinuousClock.now
    static let configuration = ReplayConfiguration(recordsPerSecond: 10_000, bytesPerSecond: 1e9, minRecordsPerSecond: 100, batchSize: 500)
    static let replaying = ReplayController.Context(backlog: true, paused: false, breakerAllows: true, breakerClosed: true)
    static let healthyIdle = ReplayController.Context(backlog: false, paused: false, breakerAllows: true, breakerClosed: true)
    static let paused = ReplayController.Context(backlog: true, paused: true, breakerAllows: true, breakerClosed: true)

    /// A controller that measured a healthy baseline before the backlog appeared:
    /// `perInterval` deliveries of `baseline` every 100 ms, so a healthy rate of
    /// ten times `perInterval` records per second.
    func measuredController(baseline: Duration = .milliseconds(5), perInterval: Int = 20, loneRecordDelay: Duration = .zero) -> (ReplayController, ContinuousClock.Instant) {
        var controller = ReplayController(configuration: Self.configuration, now: start, loneRecordDelay: loneRecordDelay)
        var now = start
        for _ in 0..<5 {
            for _ in 0..<perInterval { controller.delivered(latency: baseline) }
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

    @Test func measuresTheHealthyBaselineAndRateWhileNotReplaying() {
        let (controller, _) = measuredController(baseline: .milliseconds(5), perInterval: 20)
        #expect(controller.baseline == .milliseconds(5))
        #expect(controller.healthyRate == 200)
        #expect(controller.phase == .idle)
        #expect(controller.rate == 100, "idle, it sits at the floor, where the next replay's probe starts")
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

    // MARK: Where a replay starts

    /// Issue 22: once the first deliveries of a replay come back about as fast
    /// as the baseline, the rate goes to the delivery rate Kafka took while
    /// healthy before the outage (and slow start goes on from there), not from
    /// the floor (the old controller doubled from 100/s and needed about a
    /// second to reach 50,000/s).
    @Test func startsWhereKafkaWasHealthyNotAtTheFloor() {
        var (controller, now) = measuredController(perInterval: 100)
        #expect(controller.healthyRate == 1000)
        interval(&controller, &now, latency: .milliseconds(5), count: 20)
        #expect(controller.phase == .ramping)
        #expect(controller.rate == 8000, "the healthy rate, 1000/s, then one interval of slow start (×8)")
    }

    /// The probe: until a delivery says how Kafka is, the replay stays at the floor.
    @Test func aReplayProbesAtTheFloorUntilDeliveriesAnswer() {
        var (controller, now) = measuredController(perInterval: 100)
        for _ in 0..<3 { interval(&controller, &now, latency: nil) }
        #expect(controller.phase == .ramping)
        #expect(controller.rate == 100)
        interval(&controller, &now, latency: .milliseconds(5), count: 20)
        #expect(controller.rate == 8000)
    }

    /// A replay into a slow cluster (the broker back with a 500 ms round trip)
    /// never leaves the floor: the first deliveries back off instead of
    /// confirming the healthy rate.
    @Test func aReplayIntoASlowClusterNeverLeavesTheFloor() {
        var (controller, now) = measuredController(perInterval: 300)
        interval(&controller, &now, latency: nil)
        interval(&controller, &now, latency: .milliseconds(500), count: 5)
        #expect(controller.phase == .backingOff)
        #expect(controller.rate == 100)
        for _ in 0..<5 { interval(&controller, &now, latency: .milliseconds(500), count: 5) }
        #expect(controller.rate == 100)
    }

    /// Without a healthy measurement (a restart with a backlog) there is nothing
    /// to start from but the floor and what the first deliveries show.
    @Test func withoutAHealthyRateStartsAtTheFloor() {
        var controller = ReplayController(configuration: Self.configuration, now: start)
        var now = start
        #expect(controller.healthyRate == nil)
        interval(&controller, &now, latency: nil)
        #expect(controller.phase == .ramping)
        #expect(controller.rate == 100)
    }

    /// Only healthy intervals teach the healthy rate: not congested ones, not
    /// slow ones, not half-open ones.
    @Test func theHealthyRateIgnoresUnhealthyIntervals() {
        var (controller, now) = measuredController(perInterval: 300)
        controller.queueFull()
        interval(&controller, &now, latency: .milliseconds(5), count: 2000, context: Self.healthyIdle)
        interval(&controller, &now, latency: .milliseconds(900), count: 2000, context: Self.healthyIdle)
        interval(&controller, &now, latency: .milliseconds(5), count: 2000, context: .init(backlog: false, paused: false, breakerAllows: true, breakerClosed: false))
        #expect(controller.healthyRate == 3000)
        #expect(controller.startRate == 3000)
    }

    /// A replay that went fast at the baseline's latency raises where the next one goes.
    @Test func aHealthyFastReplayRaisesTheNextStart() {
        var (controller, now) = measuredController(perInterval: 20)
        interval(&controller, &now, latency: .milliseconds(5), count: 800)
        #expect(controller.healthyRate == 8000)
        interval(&controller, &now, latency: .milliseconds(5), count: 5, context: Self.healthyIdle)
        #expect(controller.phase == .idle)
        #expect(controller.startRate == 8000)
    }

    /// Operators' ceiling caps the start too, at once; lifted, the next replay
    /// goes to the healthy rate again.
    @Test func theOperatorsCeilingCapsTheStartRate() {
        var (controller, now) = measuredController(perInterval: 300)
        controller.setConfiguration(ReplayConfiguration(recordsPerSecond: 1000, bytesPerSecond: 1e9, minRecordsPerSecond: 100, batchSize: 500))
        #expect(controller.startRate == 1000)
        interval(&controller, &now, latency: .milliseconds(5), count: 20)
        #expect(controller.rate == 1000)
        #expect(controller.phase == .atCeiling)
        controller.setConfiguration(Self.configuration)
        #expect(controller.startRate == 3000)
    }

    /// Pause wins over the start rate: the controller says paused (not replaying),
    /// sits at the floor, and replay may not run.
    @Test func pauseWinsOverTheStartRate() {
        var (controller, now) = measuredController(perInterval: 300)
        interval(&controller, &now, latency: .milliseconds(5), context: Self.paused)
        #expect(controller.phase == .paused)
        #expect(!controller.phase.isReplaying)
        #expect(controller.rate == 100)
        var state = ReplayState(configuration: Self.configuration)
        state.setBreakerAllows(true)
        state.pause()
        state.setControl(rate: controller.startRate, phase: controller.phase)
        #expect(!state.wanted)
        state.offer(ReplayStateTests.read(1...3))
        #expect(state.take(max: 100).isEmpty, "paused, nothing read is kept or sent")
    }

    // MARK: Growing

    /// Slow start doubles once per round trip of the latency, at least once and
    /// at most three times per 100 ms decision.
    @Test(arguments: [(60, 2.0), (40, 4.0), (25, 8.0), (5, 8.0)])
    func slowStartDoublesOncePerRoundTrip(_ milliseconds: Int, _ growth: Double) {
        var (controller, now) = measuredController(baseline: .milliseconds(milliseconds), perInterval: 20)
        #expect(controller.startRate == 200)
        interval(&controller, &now, latency: .milliseconds(milliseconds), count: 20)
        #expect(controller.rate == 200 * growth)
        #expect(controller.phase == .ramping)
    }

    @Test func slowStartReachesTheCeiling() {
        var (controller, now) = measuredController()
        var rates: [Double] = []
        for _ in 0..<3 {
            interval(&controller, &now, latency: .milliseconds(6))
            rates.append(controller.rate)
        }
        #expect(rates == [4000, 10_000, 10_000], "the healthy rate, 500/s, then ×8 per interval")
        #expect(controller.phase == .atCeiling)
    }

    // MARK: Backing off still wins

    /// Latency growth cuts a replay that started high, in the first interval that shows it.
    @Test func latencyGrowthCutsTheStartRate() {
        var (controller, now) = measuredController(perInterval: 100)
        interval(&controller, &now, latency: .milliseconds(5), count: 20)
        #expect(controller.rate == 8000)
        interval(&controller, &now, latency: .milliseconds(40), count: 200)
        #expect(controller.phase == .backingOff)
        #expect(controller.rate == 2000, "half of 8000 would be 4000, but Kafka delivered 2000/s")
    }

    /// Errors, `QUEUE_FULL` and slow calls cut the start rate too: to half, and
    /// no higher than what Kafka delivered in that interval.
    @Test(arguments: ["failure", "queue full", "slow call"])
    func errorsQueueFullOrSlowCallsCutTheStartRate(_ signal: String) {
        var (controller, now) = measuredController(perInterval: 100)
        interval(&controller, &now, latency: .milliseconds(5), count: 20)
        #expect(controller.rate == 8000)
        switch signal {
        case "failure": controller.failed()
        case "queue full": controller.queueFull()
        default: controller.slowCall()
        }
        interval(&controller, &now, latency: .milliseconds(5), count: 600)
        #expect(controller.phase == .backingOff)
        #expect(controller.rate == 4000, "half; Kafka took 6000/s, more than that")
        switch signal {
        case "failure": controller.failed()
        case "queue full": controller.queueFull()
        default: controller.slowCall()
        }
        interval(&controller, &now, latency: .milliseconds(5), count: 100)
        #expect(controller.rate == 1000, "Kafka took 1000/s, less than half of 4000")
    }

    @Test func halvesWhenLatencyGrowsAndThenGrowsByAQuarter() {
        var (controller, now) = measuredController()
        for _ in 0..<2 { interval(&controller, &now, latency: .milliseconds(5)) }
        #expect(controller.rate == 10_000)
        interval(&controller, &now, latency: .milliseconds(40), count: 1000)
        #expect(controller.phase == .backingOff)
        #expect(controller.rate == 5000)
        interval(&controller, &now, latency: .milliseconds(5))
        #expect(controller.phase == .ramping)
        #expect(controller.rate == 5000 * 1.25 + 100, "after congestion, above half the healthy rate: no more doubling")
    }

    /// Below half the healthy rate, a rate cut deep climbs back as in slow start
    /// once latency is about the baseline again: that rate is known to be safe.
    @Test func climbsBackQuicklyBelowHalfTheHealthyRate() {
        var (controller, now) = measuredController(perInterval: 300)
        for _ in 0..<2 { interval(&controller, &now, latency: .milliseconds(500), count: 5) }
        #expect(controller.rate == 100)
        interval(&controller, &now, latency: .milliseconds(5))
        #expect(controller.rate == 800)
        interval(&controller, &now, latency: .milliseconds(5))
        #expect(controller.rate == 6400)
        interval(&controller, &now, latency: .milliseconds(5))
        #expect(controller.rate == 6400 * 1.25 + 100, "above half the healthy rate (3000): gently")
    }

    @Test func holdsWhenLatencyIsAboveTheBaselineButNotAlarming() {
        var (controller, now) = measuredController(baseline: .milliseconds(20))
        for _ in 0..<3 { interval(&controller, &now, latency: .milliseconds(20)) }
        let rate = controller.rate
        interval(&controller, &now, latency: .milliseconds(30))
        #expect(controller.phase == .holding)
        #expect(controller.rate == rate)
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
        interval(&controller, &now, latency: .milliseconds(10))
        let rate = controller.rate
        #expect(rate == 4000)
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
        interval(&controller, &now, latency: .milliseconds(26), count: 1000)
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
        interval(&controller, &now, latency: .milliseconds(8))
        #expect(controller.baseline == nil)
        #expect(controller.rate == 4000, "the first interval's 500/s, then ×8")
        interval(&controller, &now, latency: .milliseconds(30), count: 1000)
        #expect(controller.phase == .backingOff)
    }

    @Test func pausedWaitingAndIdleSitAtTheFloorAndSayWhy() {
        var (controller, now) = measuredController()
        for _ in 0..<5 { interval(&controller, &now, latency: .milliseconds(5)) }
        #expect(controller.healthyRate == 500)
        interval(&controller, &now, latency: .milliseconds(5), context: Self.paused)
        #expect(controller.phase == .paused)
        #expect(controller.rate == 100)
        interval(&controller, &now, latency: nil, context: .init(backlog: true, paused: false, breakerAllows: false, breakerClosed: false))
        #expect(controller.phase == .waiting)
        interval(&controller, &now, latency: .milliseconds(5), context: Self.healthyIdle)
        #expect(controller.phase == .idle)
        #expect(!controller.phase.isReplaying)
        interval(&controller, &now, latency: .milliseconds(5))
        #expect(controller.rate == 4000, "each replay probes again, then goes to the healthy rate (500/s) and grows it")
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
