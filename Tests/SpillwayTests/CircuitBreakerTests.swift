import Spillway
import Testing

@Suite struct CircuitBreakerTests {
    let start = ContinuousClock.now

    func breaker(_ configure: (inout CircuitBreakerConfiguration) -> Void = { _ in }) -> CircuitBreaker {
        var configuration = CircuitBreakerConfiguration(windowSize: 10, minimumCalls: 5, failureRateThreshold: 0.5, slowCallDuration: .milliseconds(100), slowCallRateThreshold: 0.6, openDuration: .seconds(1), maxOpenDuration: .seconds(8), backoffMultiplier: 2, jitter: 0, halfOpenTrialCalls: 4, halfOpenIdleTimeout: .seconds(3))
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

    /// The breaker keeps its own history: what status pages show is one snapshot of it.
    @Test func countsItsTransitionsAndShowsThemInItsSnapshot() {
        var b = breaker()
        for _ in 0..<5 { _ = b.record(.failure(reason: "Local: Broker transport failure"), at: start) }
        #expect(b.transitionCounts == ["closed->open": 1])
        #expect(b.lastTransition?.kind == "closed->open")
        _ = b.tick(at: start + .seconds(1))
        _ = b.probeFinished(succeeded: false, detail: "no brokers", at: start + .seconds(1))
        let open = b.snapshot(at: start + .seconds(1))
        #expect(open.state == .open)
        #expect(open.lastProbeFailure == "no brokers")
        #expect(open.nextProbeInSeconds == 2, "the second opening doubles the first interval")
        #expect(open.lastReason?.contains("failure rate") == true)
        #expect(!b.allowsReplay)

        _ = b.tick(at: start + .seconds(3))
        _ = b.probeFinished(succeeded: true, detail: "metadata from 1 broker", at: start + .seconds(3))
        #expect(!b.allowsReplay, "half-open trial slots are for live records")
        for _ in 0..<4 { _ = b.record(.success(latency: .milliseconds(1)), at: start + .seconds(3)) }
        let closed = b.snapshot(at: start + .seconds(3))
        #expect(closed.transitions == ["closed->open": 1, "open->half-open": 1, "half-open->closed": 1])
        #expect(closed.lastTransition == "half-open->closed")
        #expect(closed.lastProbeFailure == nil, "cleared once the breaker closed")
        #expect(closed.nextProbeInSeconds == nil)
        #expect(b.allowsReplay)
    }

    @Test func probesAfterTheOpenIntervalThenTrialsThenCloses() {
        var b = breaker()
        for _ in 0..<5 { _ = b.record(.failure(reason: "down"), at: start) }
        #expect(b.state == .open)
        #expect(b.tick(at: start + .milliseconds(999)).isEmpty)
        #expect(b.tick(at: start + .seconds(1)) == [.startProbe])
        #expect(b.tick(at: start + .seconds(1)).isEmpty, "one probe at a time")
        let halfOpen = transitions(b.probeFinished(succeeded: true, detail: "1 broker", at: start + .seconds(1)))
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

    @Test func failedTrialReopensWithExponentialBackoffUpToTheCap() {
        var b = breaker()
        var now = start
        for _ in 0..<5 { _ = b.record(.failure(reason: "down"), at: now) }
        var intervals: [Duration] = []
        for _ in 0..<6 {
            let due = b.probeDue!
            intervals.append(due - now)
            now = due
            #expect(b.tick(at: now) == [.startProbe])
            _ = b.probeFinished(succeeded: true, detail: "", at: now)
            _ = b.permits(4)
            for _ in 0..<4 { _ = b.record(.failure(reason: "still down"), at: now) }
            #expect(b.state == .open)
        }
        #expect(intervals == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(8)])
    }

    @Test func failedProbeKeepsItOpenAndBacksOff() {
        var b = breaker()
        for _ in 0..<5 { _ = b.record(.failure(reason: "down"), at: start) }
        #expect(b.tick(at: start + .seconds(1)) == [.startProbe])
        #expect(b.probeFinished(succeeded: false, detail: "timed out", at: start + .seconds(1)) == [.probeFailed(detail: "timed out", nextProbeIn: .seconds(2))])
        #expect(b.state == .open)
        #expect(b.probeDue == start + .seconds(3))
    }

    @Test func jitterSpreadsTheIntervalWithinItsBounds() {
        var seen: Set<Duration> = []
        for seed in 0..<20 {
            var b = CircuitBreaker(configuration: .init(windowSize: 5, minimumCalls: 5, openDuration: .seconds(10), jitter: 0.2), seed: UInt64(seed))
            for _ in 0..<5 { _ = b.record(.failure(reason: "x"), at: start) }
            let interval = b.probeDue! - start
            #expect(interval >= .seconds(8) && interval <= .seconds(12))
            seen.insert(interval)
        }
        #expect(seen.count > 10)
    }

    @Test func idleHalfOpenClosesOnTheProbeAlone() {
        var b = breaker()
        for _ in 0..<5 { _ = b.record(.failure(reason: "down"), at: start) }
        _ = b.tick(at: start + .seconds(1))
        _ = b.probeFinished(succeeded: true, detail: "", at: start + .seconds(1))
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

    @Test func invalidConfigurationIsNamed() {
        #expect(throws: SpillwayConfigurationError("breaker.minimumCalls must be between 1 and breaker.windowSize")) {
            try CircuitBreakerConfiguration(windowSize: 5, minimumCalls: 6).validate()
        }
    }
}
