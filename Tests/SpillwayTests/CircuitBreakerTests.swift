import Spillway
import Testing

@Suite struct CircuitBreakerTests {
    let start = ContinuousClock.now

    func breaker(_ configure: (inout CircuitBreakerConfiguration) -> Void = { _ in }) -> CircuitBreaker {
        var configuration = CircuitBreakerConfiguration(windowSize: 10, minimumCalls: 5, failureRateThreshold: 0.5, slowCallDuration: .milliseconds(100), slowCallRateThreshold: 0.6, openDuration: .seconds(1), maxOpenDuration: .seconds(8), backoffMultiplier: 2, jitter: 0, probeInterval: .milliseconds(500), probeMaxInterval: .seconds(1), halfOpenTrialCalls: 4, halfOpenIdleTimeout: .seconds(3))
        configure(&configuration)
        return CircuitBreaker(configuration: configuration)
    }

    func transitions(_ actions: [BreakerAction]) -> [BreakerTransition] {
        actions.compactMap { if case .transition(let t) = $0 { t } else { nil } }
    }

    @Test func staysClosedBelowMinimumCallsEvenIfAllFail() {
        var b = breaker()
        for _ in 0..<4 { #expect(b.record(.failure(reason: "x"), at: start).isEmpty) }
        #expect(b.state == .closed)
        #expect(b.permits(100) == 100)
    }

    @Test func tripsOnFailureRateAndReportsWhy() {
        var b = breaker()
        for _ in 0..<3 { _ = b.record(.success(latency: .milliseconds(1)), at: start) }
        _ = b.record(.failure(reason: "timed out"), at: start)
        let actions = b.record(.failure(reason: "Local: Message timed out"), at: start)
        #expect(b.state == .closed, "2 of 5 is 40%, below 50%")
        #expect(actions.isEmpty)
        let trip = transitions(b.record(.failure(reason: "Local: Message timed out"), at: start))
        #expect(b.state == .open)
        #expect(trip.count == 1)
        #expect(trip.first?.kind == "closed->open")
        #expect(trip.first?.stopsSending == true)
        #expect(trip.first?.reason.contains("failure rate 50%") == true)
        #expect(trip.first?.reason.contains("Message timed out") == true)
        #expect(b.permits(10) == 0)
    }

    @Test func tripsOnSlowCallRate() {
        var b = breaker()
        for _ in 0..<3 { _ = b.record(.success(latency: .milliseconds(5)), at: start) }
        #expect(b.record(.success(latency: .milliseconds(150)), at: start).isEmpty)
        #expect(b.record(.slowInFlight, at: start).isEmpty, "2 of 5 slow: 40%")
        #expect(b.record(.success(latency: .milliseconds(100)), at: start).isEmpty, "3 of 6 slow: 50%")
        #expect(b.record(.success(latency: .milliseconds(500)), at: start).isEmpty, "4 of 7 slow: 57%")
        #expect(b.state == .closed)
        let trip = transitions(b.record(.success(latency: .milliseconds(200)), at: start))
        #expect(b.state == .open, "5 of 8 slow: 62%, over 60%")
        #expect(trip.first?.reason.contains("slow-call rate 63% over the last 8 calls") == true)
    }

    /// Opens, probes at once, and with a successful probe goes half-open as soon
    /// as the open interval is over.
    func openAndProbe(_ b: inout CircuitBreaker, succeeded: Bool, at now: ContinuousClock.Instant) -> [BreakerAction] {
        #expect(b.tick(at: now).contains(.startProbe), "a probe was due")
        return b.probeFinished(succeeded: succeeded, detail: succeeded ? "metadata from 1 broker" : "no brokers", at: now)
    }

    /// The breaker keeps its own history: what status pages show is one snapshot of it.
    @Test func countsItsTransitionsAndShowsThemInItsSnapshot() {
        var b = breaker()
        for _ in 0..<5 { _ = b.record(.failure(reason: "Local: Broker transport failure"), at: start) }
        #expect(b.transitionCounts == ["closed->open": 1])
        #expect(b.lastTransition?.kind == "closed->open")
        _ = openAndProbe(&b, succeeded: false, at: start)
        let open = b.snapshot(at: start)
        #expect(open.state == .open)
        #expect(open.lastProbeFailure == "no brokers")
        #expect(open.nextProbeInSeconds == 0.75, "the probe cadence, stretched by half after one failure")
        #expect(open.trafficRetryInSeconds == 1, "the open interval")
        #expect(open.lastReason?.contains("failure rate") == true)
        #expect(!b.allowsReplay)

        _ = b.tick(at: start + .seconds(1))
        let halfOpen = transitions(b.probeFinished(succeeded: true, detail: "metadata from 1 broker", at: start + .seconds(1)))
        #expect(halfOpen.first?.kind == "open->half-open")
        #expect(b.allowsReplay, "half-open, replayed records may be the trial")
        for _ in 0..<4 { _ = b.record(.success(latency: .milliseconds(1)), at: start + .seconds(1)) }
        let closed = b.snapshot(at: start + .seconds(1))
        #expect(closed.transitions == ["closed->open": 1, "open->half-open": 1, "half-open->closed": 1])
        #expect(closed.lastTransition == "half-open->closed")
        #expect(closed.lastProbeFailure == nil, "cleared once the breaker closed")
        #expect(closed.nextProbeInSeconds == nil)
    }

    @Test func probesAtOnceAndGoesHalfOpenWhenTheOpenIntervalIsOverThenTrialsThenCloses() {
        var b = breaker()
        for _ in 0..<5 { _ = b.record(.failure(reason: "down"), at: start) }
        #expect(b.state == .open)
        #expect(b.tick(at: start) == [.startProbe], "the first probe goes out at once")
        #expect(b.tick(at: start).isEmpty, "one probe at a time")
        #expect(b.probeFinished(succeeded: true, detail: "1 broker", at: start + .milliseconds(10)).isEmpty, "the open interval is not over")
        #expect(b.state == .open)
        #expect(b.tick(at: start + .milliseconds(999)) == [.startProbe], "still checking the cluster, no trial yet")
        #expect(b.probeFinished(succeeded: true, detail: "1 broker", at: start + .milliseconds(999)).isEmpty)
        let halfOpen = transitions(b.tick(at: start + .seconds(1)))
        #expect(halfOpen.first?.kind == "open->half-open")
        #expect(halfOpen.first?.startsSending == true)
        #expect(b.permits(10) == 4, "only the trial slots")
        #expect(b.permits(10) == 0)
        for _ in 0..<3 { #expect(b.record(.success(latency: .milliseconds(2)), at: start + .seconds(2)).isEmpty) }
        let closed = transitions(b.record(.success(latency: .milliseconds(2)), at: start + .seconds(2)))
        #expect(closed.first?.kind == "half-open->closed")
        #expect(b.state == .closed)
        #expect(b.consecutiveOpenings == 0)
    }

    /// Recovery is noticed within the probe cadence's cap, however long the
    /// outage and however many probes failed before.
    @Test func recoveryIsNoticedWithinAboutASecondWhateverFailedBefore() {
        var b = breaker { $0.jitter = 0.2 }
        for _ in 0..<5 { _ = b.record(.failure(reason: "down"), at: start) }
        var now = start
        for _ in 0..<500 {
            #expect(b.tick(at: now) == [.startProbe])
            _ = b.probeFinished(succeeded: false, detail: "down", at: now)
            let gap = b.probeDue! - now
            #expect(gap <= .milliseconds(1200), "the cap, with jitter: \(gap)")
            now = b.probeDue!
        }
        #expect(b.consecutiveOpenings == 1, "failed probes never lengthen the open interval")
        // Kafka answers again just after a probe failed: the next probe finds it.
        let recovered = now
        #expect(b.tick(at: now) == [.startProbe])
        _ = b.probeFinished(succeeded: false, detail: "down", at: now)
        now = b.probeDue!
        #expect(b.tick(at: now) == [.startProbe])
        let halfOpen = transitions(b.probeFinished(succeeded: true, detail: "1 broker", at: now))
        #expect(halfOpen.first?.kind == "open->half-open")
        #expect(now - recovered <= .milliseconds(1200))
    }

    @Test func failedTrialReopensWithExponentialBackoffUpToTheCap() {
        var b = breaker()
        var now = start
        for _ in 0..<5 { _ = b.record(.failure(reason: "down"), at: now) }
        var intervals: [Duration] = []
        for _ in 0..<6 {
            intervals.append(b.openInterval)
            _ = openAndProbe(&b, succeeded: true, at: now)
            now = now + b.openInterval
            #expect(transitions(b.tick(at: now)).first?.kind == "open->half-open")
            _ = b.permits(4)
            for _ in 0..<2 { _ = b.record(.failure(reason: "still down"), at: now) }
            #expect(b.state == .open, "half the trial failed: no need to wait for the rest")
        }
        #expect(intervals == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(8)])
    }

    /// A cluster that answers metadata but fails produce: the probe succeeds at
    /// once, and the open interval is what keeps traffic off it.
    @Test func aProbeThatSucceedsEarlyWaitsForTheOpenIntervalAndAFailureInBetweenCancelsIt() {
        var b = breaker()
        for _ in 0..<5 { _ = b.record(.failure(reason: "NOT_ENOUGH_REPLICAS"), at: start) }
        #expect(openAndProbe(&b, succeeded: true, at: start).isEmpty)
        #expect(b.tick(at: start + .milliseconds(500)) == [.startProbe], "keeps checking meanwhile")
        _ = b.probeFinished(succeeded: false, detail: "timed out", at: start + .milliseconds(500))
        #expect(b.tick(at: start + .seconds(1)).isEmpty, "the last probe failed: no trial")
        #expect(b.state == .open)
    }

    @Test func failedProbesStretchTheProbeCadenceToItsCapButNotTheOpenInterval() {
        var b = breaker()
        for _ in 0..<5 { _ = b.record(.failure(reason: "down"), at: start) }
        var gaps: [Duration] = []
        var now = start
        for _ in 0..<4 {
            let actions = openAndProbe(&b, succeeded: false, at: now)
            guard case .probeFailed(let detail, let next)? = actions.first else {
                Issue.record("expected a failed probe, got \(actions)")
                return
            }
            #expect(detail == "no brokers")
            gaps.append(next)
            now = b.probeDue!
        }
        #expect(gaps == [.milliseconds(750), .seconds(1), .seconds(1), .seconds(1)])
        #expect(b.openInterval == .seconds(1))
        #expect(b.consecutiveProbeFailures == 4)
    }

    @Test func jitterSpreadsTheIntervalWithinItsBounds() {
        var seen: Set<Duration> = []
        for seed in 0..<20 {
            var b = CircuitBreaker(configuration: .init(windowSize: 5, minimumCalls: 5, openDuration: .seconds(10), jitter: 0.2), seed: UInt64(seed))
            for _ in 0..<5 { _ = b.record(.failure(reason: "x"), at: start) }
            let interval = b.openInterval
            #expect(interval >= .seconds(8) && interval <= .seconds(12))
            seen.insert(interval)
        }
        #expect(seen.count > 10)
    }

    /// Half-open with records to try: it waits for their results, however long
    /// (slow ones are counted as slow by the delivery loop), never closing for lack of them.
    @Test func halfOpenWithTrafficWaitsForTheTrialResults() {
        var b = breaker()
        for _ in 0..<5 { _ = b.record(.failure(reason: "down"), at: start) }
        _ = openAndProbe(&b, succeeded: true, at: start)
        _ = b.tick(at: start + .seconds(1))
        #expect(b.state == .halfOpen)
        #expect(b.permits(100) == 4)
        #expect(b.tick(at: start + .seconds(10)).isEmpty, "trial records are out: no idle close")
        for _ in 0..<4 { _ = b.record(.slowInFlight, at: start + .seconds(10)) }
        #expect(b.state == .open, "a slow trial reopens")
    }

    /// Half-open with nothing at all to send: the probe's success is all there is to go on.
    @Test func idleHalfOpenClosesOnTheProbeAlone() {
        var b = breaker()
        for _ in 0..<5 { _ = b.record(.failure(reason: "down"), at: start) }
        _ = openAndProbe(&b, succeeded: true, at: start)
        _ = b.tick(at: start + .seconds(1))
        #expect(b.state == .halfOpen)
        #expect(b.permits(100) == 4)
        b.returnPermits(4)
        #expect(b.tick(at: start + .seconds(3)).isEmpty)
        let closed = transitions(b.tick(at: start + .seconds(4)))
        #expect(closed.first?.kind == "half-open->closed")
    }

    @Test func forcedOpenHoldsWhateverHappens() {
        var b = breaker()
        let forced = transitions(b.setMode(.forcedOpen, at: start))
        #expect(forced.first?.kind == "auto->forced-open")
        #expect(forced.first?.stopsSending == true)
        for second in 0..<100 {
            _ = b.record(.success(latency: .milliseconds(1)), at: start + .seconds(second))
            #expect(b.tick(at: start + .seconds(second)).isEmpty, "no probes while forced")
        }
        #expect(b.permits(5) == 0)
        #expect(b.mode == .forcedOpen)
    }

    @Test func forcedClosedNeverTrips() {
        var b = breaker()
        _ = b.setMode(.forcedClosed, at: start)
        for _ in 0..<50 { #expect(b.record(.failure(reason: "down"), at: start).isEmpty) }
        #expect(b.state == .closed)
        #expect(b.permits(7) == 7)
        #expect(b.failureRate == 1)
    }

    @Test func autoAfterForcedOpenProbesFirst() {
        var b = breaker()
        _ = b.setMode(.forcedOpen, at: start)
        let back = transitions(b.setMode(.auto, at: start + .seconds(5)))
        #expect(back.first?.kind == "forced-open->auto")
        #expect(b.state == .open)
        #expect(b.tick(at: start + .seconds(5)) == [.startProbe])
    }

    @Test func autoAfterForcedClosedStartsClean() {
        var b = breaker()
        _ = b.setMode(.forcedClosed, at: start)
        for _ in 0..<10 { _ = b.record(.failure(reason: "down"), at: start) }
        _ = b.setMode(.auto, at: start)
        #expect(b.state == .closed)
        #expect(b.windowCalls == 0)
        for _ in 0..<4 { _ = b.record(.failure(reason: "down"), at: start) }
        #expect(b.state == .closed, "needs the minimum again")
    }

    /// Issue 21 item 8: open → auto → (probe succeeds: half-open) → open showed
    /// `"mode":"open","state":"half-open"` while `/metrics` said open. A forced
    /// mode's state is the one the pipeline acts on.
    @Test func forcingOpenWhileHalfOpenShowsOpen() {
        var b = breaker()
        _ = b.setMode(.forcedOpen, at: start)
        _ = b.setMode(.auto, at: start + .milliseconds(2300))
        _ = openAndProbe(&b, succeeded: true, at: start + .milliseconds(2300))
        #expect(b.state == .halfOpen, "operator-released: no interval to sit out")
        let forced = transitions(b.setMode(.forcedOpen, at: start + .milliseconds(2400)))
        #expect(forced.first?.kind == "auto->forced-open")
        #expect(forced.first?.toState == .open)
        #expect(forced.first?.stopsSending == true)
        #expect(b.state == .open)
        #expect(b.snapshot(at: start + .milliseconds(2400)).state == .open)
        #expect(b.permits(5) == 0)
        // Released again, it probes first, as after any forced opening.
        _ = b.setMode(.auto, at: start + .seconds(3))
        #expect(b.state == .open)
        #expect(b.tick(at: start + .seconds(3)) == [.startProbe])
    }

    /// Whatever happened before, a forced mode shows the state it forces, and the
    /// state shown always says whether records go to Kafka: the snapshot, the
    /// metrics gauge and the CLI read the same thing. Random inputs, invariant
    /// checked after each.
    @Test(arguments: 0..<20 as Range<UInt64>)
    func theStateShownIsTheStateActedOn(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        var b = breaker()
        var now = start
        for step in 0..<500 {
            now += .milliseconds(Int.random(in: 0...400, using: &random))
            switch Int.random(in: 0..<10, using: &random) {
            case 0: _ = b.setMode(BreakerMode.allCases.randomElement(using: &random)!, at: now)
            case 1, 2: _ = b.record(.failure(reason: "down"), at: now)
            case 3, 4: _ = b.record(.success(latency: .milliseconds(1)), at: now)
            case 5: _ = b.permits(Int.random(in: 0...5, using: &random))
            case 6: _ = b.probeFinished(succeeded: Bool.random(using: &random), detail: "probe", at: now)
            default: _ = b.tick(at: now)
            }
            // The first broken step stops the run: one report, with the step to replay.
            let shown = b.snapshot(at: now)
            try #require(shown.mode == b.mode && shown.state == b.state, "seed \(seed), step \(step)")
            switch b.mode {
            case .forcedOpen: try #require(b.state == .open, "seed \(seed), step \(step)")
            case .forcedClosed: try #require(b.state == .closed, "seed \(seed), step \(step)")
            case .auto: break
            }
            try #require(b.isSending == (b.state != .open), "seed \(seed), step \(step)")
        }
    }

    @Test func invalidConfigurationIsNamed() {
        #expect(throws: SpillwayConfigurationError("breaker.minimumCalls must be between 1 and breaker.windowSize")) {
            try CircuitBreakerConfiguration(windowSize: 5, minimumCalls: 6).validate()
        }
    }
}
