import Spillway
import SpillwaySpool
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    @Suite struct PipelineOutageTests {
        /// Kafka goes down: the breaker opens, records spool, `send` never waits.
        /// Kafka comes back: the probe closes the breaker, the spool replays, every record arrives.
        @Test func brokerDownThenUpSpoolsAndReplaysEverything() async throws {
            try await withPipeline(configure: { configuration in
                // Slow enough to measure: the backlog replays at 2000 records/s at most.
                configuration.replay = ReplayConfiguration(recordsPerSecond: 2000, bytesPerSecond: 10_000_000, batchSize: 200)
            }) { harness in
                let events = harness.buffer.breakerEvents()
                harness.send(0..<100)
                try await harness.waitFor("warm-up delivered") { $0.ledger.delivered == 100 }

                harness.cluster.setBrokersDown()
                let opened = Task { try await PipelineHarness.nextEvent(events) { $0.transition.toState == .open } }
                var (next, slowest) = try await harness.sendUntilBreakerOpens(from: 100, pauseEvery: 100, pause: .milliseconds(5))
                let openEvent = try await opened.value
                #expect(openEvent.transition.kind == "closed->open")
                // While open, records go straight to the spool.
                for id in next..<(next + 3000) {
                    let started = ContinuousClock.now
                    #expect(harness.buffer.send(topic: harness.topic, value: Array("id-\(id)".utf8)) == .spooled)
                    slowest = max(slowest, ContinuousClock.now - started)
                }
                next += 3000
                // `slowest` times each synchronous `send` alone (`sendUntilBreakerOpens` does
                // too), on the thread that runs it: no other task can take that thread
                // meanwhile, so the shared executor's scheduling is not in it, only the pipeline's
                // code and the OS's preemption (milliseconds, even beside two CPU hogs). A send
                // that waited for Kafka would take at least librdkafka's 2 s message timeout.
                #expect(slowest < .seconds(1), "send must never wait for Kafka (slowest: \(slowest))")
                let spooled = try await harness.waitFor("spool holds the backlog") { $0.ledger.spooled >= 3000 && $0.ledger.queued == 0 && $0.ledger.inFlight == 0 }
                #expect(spooled.ledger.droppedTotal == 0)

                harness.cluster.setBrokersUp()
                let closed = try await PipelineHarness.nextEvent(events) { $0.transition.toState == .closed }
                let replayStarted = ContinuousClock.now
                let backlog = harness.buffer.status().ledger.spooled
                let drained = try await harness.waitFor("spool drained", timeout: .seconds(60)) { $0.ledger.spooled == 0 && $0.ledger.delivered == next }
                let replayTime = ContinuousClock.now - replayStarted
                #expect(closed.transition.reason.contains("half-open trial passed") || closed.transition.reason.contains("probe succeeded"))
                #expect(drained.ledger.replayed >= backlog)
                // Never above the ceiling: 2000/s (one batch of burst allowed).
                let ceilingSeconds = Double(backlog - 200) / 2000
                #expect(replayTime >= .seconds(ceilingSeconds), "replayed \(backlog) in \(replayTime), faster than 2000/s")

                try await harness.stop()
                let ids = try await harness.deliveredIDs()
                #expect(Set(ids) == Set(0..<next), "every record arrived at least once")
                #expect(harness.buffer.status().ledger.imbalance == 0)
            }
        }

        /// The cluster hangs (round trip far above the message timeout): the
        /// original incident. Same outcome as a broker down.
        @Test func hungClusterTripsTheBreakerAndRecovers() async throws {
            try await withPipeline { harness in
                let events = harness.buffer.breakerEvents()
                harness.send(0..<50)
                try await harness.waitFor("warm-up delivered") { $0.ledger.delivered == 50 }

                harness.cluster.setRoundTripTime(milliseconds: 30_000)
                let opened = Task { try await PipelineHarness.nextEvent(events) { $0.transition.toState == .open } }
                let (next, slowest) = try await harness.sendUntilBreakerOpens(from: 50, pauseEvery: 50, pause: .milliseconds(10))
                let openEvent = try await opened.value
                #expect(openEvent.transition.reason.contains("slow-call rate") || openEvent.transition.reason.contains("failure rate"))
                #expect(slowest < .seconds(1), "slowest send: \(slowest)")
                try await harness.waitFor("nothing left in flight") { $0.ledger.inFlight == 0 && $0.ledger.queued == 0 }

                harness.cluster.setRoundTripTime(milliseconds: 0)
                _ = try await PipelineHarness.nextEvent(events) { $0.transition.toState == .closed }
                try await harness.waitFor("spool drained") { $0.ledger.spooled == 0 && $0.ledger.delivered >= next }
                try await harness.stop()
                #expect(Set(try await harness.deliveredIDs()) == Set(0..<next))
            }
        }

        /// The cluster hangs before the producer ever reached it. Waiting for a first
        /// connection is forgiven only for the connect grace; then the breaker trips on
        /// slow calls, long before librdkafka's message timeout would report failures,
        /// even when the records sent during the grace filled the queue (a busy start).
        @Test func clusterHungFromTheStartTripsTheBreakerAfterTheConnectGrace() async throws {
            let cluster = try MockKafkaCluster()
            cluster.setRoundTripTime(milliseconds: 30_000)
            try await withPipeline(cluster: cluster, configure: { configuration in
                configuration.kafka.messageTimeout = .seconds(120)
                configuration.breaker.connectGrace = .seconds(1)
                configuration.queue = QueueLimits(maxRecords: 50, maxBytes: 1 << 20)
            }) { harness in
                let events = harness.buffer.breakerEvents()
                let opened = Task { try await PipelineHarness.nextEvent(events, timeout: .seconds(60)) { $0.transition.toState == .open } }
                // At once, inside the grace: the queue and librdkafka fill up, the rest spills.
                harness.send(0..<500)
                let (next, slowest) = try await harness.sendUntilBreakerOpens(from: 500, pauseEvery: 20, pause: .milliseconds(20))
                let openEvent = try await opened.value
                #expect(openEvent.transition.reason.contains("slow-call rate"), "opened because: \(openEvent.transition.reason)")
                #expect(slowest < .seconds(1), "slowest send: \(slowest)")

                harness.cluster.setRoundTripTime(milliseconds: 0)
                try await harness.waitFor("spool drained", timeout: .seconds(90)) { $0.ledger.spooled == 0 && $0.ledger.delivered >= next }
                try await harness.stop()
                #expect(Set(try await harness.deliveredIDs()) == Set(0..<next))
            }
        }

        /// Acknowledgements arrive, but slower than the slow-call duration: trips on the slow rate.
        @Test func slowButSuccessfulAcknowledgementsTripOnSlowRate() async throws {
            try await withPipeline(configure: { configuration in
                configuration.kafka.messageTimeout = .seconds(10)
                configuration.breaker.slowCallDuration = .milliseconds(300)
            }) { harness in
                let events = harness.buffer.breakerEvents()
                harness.send(0..<10)
                try await harness.waitFor("warm-up delivered") { $0.ledger.delivered == 10 }
                harness.cluster.setRoundTripTime(milliseconds: 600)
                let opened = Task { try await PipelineHarness.nextEvent(events) { $0.transition.toState == .open } }
                var next = 10
                while harness.buffer.status().breaker.state != .open, next < 2000 {
                    harness.send(next..<(next + 5))
                    next += 5
                    try await Task.sleep(for: .milliseconds(50))
                }
                let event = try await opened.value
                #expect(event.transition.reason.contains("slow-call rate"))
                #expect(harness.buffer.status().ledger.droppedTotal == 0)
                harness.cluster.setRoundTripTime(milliseconds: 0)
                try await harness.waitFor("all delivered after recovery") { $0.ledger.delivered == next && $0.ledger.spooled == 0 }
                try await harness.stop()
            }
        }

        /// Errors about one record go to the dead-letter area and do not trip the breaker.
        @Test func perRecordErrorsAreDeadLetteredWithoutTrippingTheBreaker() async throws {
            try await withPipeline { harness in
                harness.send(0..<5)
                try await harness.waitFor("warm-up delivered") { $0.ledger.delivered == 5 }
                for id in 5..<25 {
                    // One record per Produce request, so each pushed error hits exactly one record.
                    harness.cluster.pushProduceErrors(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE_CODE, count: 1)
                    harness.send(id..<(id + 1))
                    try await harness.waitFor("record \(id) settled") { $0.ledger.deadLettered == id - 4 }
                }
                harness.send(25..<125)
                let status = try await harness.waitFor("healthy records delivered") { $0.ledger.delivered == 105 }
                #expect(status.breaker.state == .closed)
                #expect(status.breaker.transitions.isEmpty, "no transition at all: \(status.breaker.transitions) \(status.breaker.lastReason ?? "")")
                #expect(status.spool.deadCount == 20)
                #expect(status.spool.readyCount == 0)
                try await harness.stop()
                let dead = try Spool.openForInspection(path: harness.directory.file("spool.db")).records(matching: SpoolQuery(area: .deadLetters), limit: 100)
                #expect(dead.count == 20)
                #expect(dead.allSatisfy { $0.deadLetterReason?.hasPrefix("MSG_SIZE_TOO_LARGE") == true })
                #expect(Set(dead.map { String(decoding: $0.record.value ?? [], as: UTF8.self) }) == Set((5..<25).map { "id-\($0)" }))
            }
        }

        /// Shutdown while Kafka is down loses nothing: every record is in the spool.
        @Test func gracefulShutdownWithTheBrokerDownLosesNothing() async throws {
            try await withPipeline(configure: { $0.shutdownDeadline = .milliseconds(500) }) { harness in
                harness.send(0..<20)
                try await harness.waitFor("warm-up delivered") { $0.ledger.delivered == 20 }
                harness.cluster.setBrokersDown()
                let dispositions = harness.send(20..<2020)
                #expect(dispositions.allSatisfy { $0.isAccepted })
                try await harness.stop()
                let final = harness.buffer.status().ledger
                #expect(final.imbalance == 0)
                #expect(final.droppedTotal == 0)
                #expect(final.queued == 0 && final.inFlight == 0)
                #expect(final.delivered + final.spooled == 2020)
                let spool = try Spool.openForInspection(path: harness.directory.file("spool.db"))
                let kept = try spool.readOldest(limit: 10_000).compactMap { Int(String(decoding: $0.record.value ?? [], as: UTF8.self).dropFirst(3)) }
                #expect(kept.count == final.spooled)
                #expect(harness.buffer.send(topic: harness.topic, value: [1]) == .dropped(.shuttingDown))
                // Every record is in Kafka or in the spool.
                harness.cluster.setBrokersUp()
                let delivered = try await harness.deliveredIDs()
                #expect(Set(delivered).count >= final.delivered)
                #expect(Set(kept).union(delivered) == Set(0..<2020), "missing: \(Set(0..<2020).subtracting(kept).subtracting(delivered).sorted().prefix(20))")
            }
        }
    }
}

/// MSG_SIZE_TOO_LARGE, as the test kit pushes it.
let RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE_CODE = MockKafkaCluster.messageSizeTooLarge
