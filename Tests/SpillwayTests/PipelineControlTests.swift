import Spillway
import SpillwaySpool
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    @Suite struct PipelineControlTests {
        /// Forced open holds while Kafka is healthy; back to auto, the backlog replays.
        @Test func forcedOpenHoldsThenAutoResumes() async throws {
            try await withPipeline { harness in
                let events = harness.buffer.breakerEvents()
                harness.send(0..<10)
                try await harness.waitFor("warm-up delivered") { $0.ledger.delivered == 10 }

                harness.buffer.setBreakerMode(.forcedOpen)
                let forced = try await PipelineHarness.nextEvent(events) { $0.transition.toMode == .forcedOpen }
                #expect(forced.transition.kind == "auto->forced-open")
                // With a healthy cluster, round after round reaches the spool and nothing is sent:
                // the replay controller sees the breaker keep Kafka closed, and says so.
                try await harness.waitFor("replay waiting for the breaker") { $0.replayPhase == .waiting }
                for round in 0..<6 {
                    let base = 10 + round * 100
                    #expect(harness.send(base..<(base + 100)).allSatisfy { $0 == .spooled })
                    let status = try await harness.waitFor("round \(round) spooled") { $0.ledger.spooled == base + 90 }
                    #expect(status.breaker.mode == .forcedOpen)
                    #expect(status.ledger.delivered == 10)
                    #expect(status.replayPhase == .waiting)
                }

                harness.buffer.setBreakerMode(.auto)
                _ = try await PipelineHarness.nextEvent(events) { $0.transition.toMode == .auto }
                try await harness.waitFor("backlog replayed") { $0.ledger.delivered == 610 && $0.ledger.spooled == 0 }
                try await harness.stop()
                #expect(Set(try await harness.deliveredIDs()) == Set(0..<610))
            }
        }

        /// Another process holds the spool when the pipeline starts (a restart overlap):
        /// it runs without one, counting what it cannot keep, and takes the spool, with
        /// its backlog, as soon as it is free.
        @Test func spoolHeldElsewhereAtStartIsTakenOnceFreed() async throws {
            let elsewhere = TemporaryDirectory("spillway-held")
            defer { elsewhere.remove() }
            let path = elsewhere.file("spool.db")
            var holder: Spool? = try SpoolFixtures.open(SpoolConfiguration(path: path))
            _ = try holder?.append([Record(topic: "events", value: Array("id-0".utf8), timestamp: 0)])
            try await withPipeline(configure: { $0.spool.path = path }) { harness in
                harness.buffer.setBreakerMode(.forcedOpen)
                // `spoolAvailable` is also false before the first opening is tried (when records
                // still wait for the spool); the error is published, under the same lock, only
                // once an opening failed and records are dropped instead.
                try await harness.waitFor("the spool found locked") {
                    !$0.spoolAvailable && $0.breaker.mode == .forcedOpen
                        && $0.lastError?.contains("locked by another process") == true
                }
                #expect(harness.send(1..<11).allSatisfy { $0 == .dropped(.spoolUnavailable) })

                holder?.close()
                holder = nil
                try await harness.waitFor("the spool taken over") { $0.spoolAvailable && $0.ledger.recovered == 1 }
                #expect(harness.send(11..<21).allSatisfy { $0 == .spooled })
                harness.buffer.setBreakerMode(.auto)
                let status = try await harness.waitFor("backlog replayed") { $0.ledger.spooled == 0 && $0.ledger.delivered == 11 }
                #expect(status.ledger.dropped == ["spool_unavailable": 10])
                try await harness.stop()
                #expect(Set(try await harness.deliveredIDs()) == Set([0] + Array(11..<21)))
            }
        }

        /// Forced closed never trips while Kafka fails; records still spill when the queue is full.
        @Test func forcedClosedNeverTripsButStillSpillsOnOverflow() async throws {
            try await withPipeline(configure: { configuration in
                configuration.queue = QueueLimits(maxRecords: 50, maxBytes: 1 << 20)
                configuration.kafka.messageTimeout = .milliseconds(500)
            }) { harness in
                harness.buffer.setBreakerMode(.forcedClosed)
                try await harness.waitFor("forced closed") { $0.breaker.mode == .forcedClosed }
                harness.send(0..<10)
                try await harness.waitFor("warm-up delivered") { $0.ledger.delivered == 10 }
                harness.cluster.setBrokersDown()
                var dispositions: [Disposition] = []
                for round in 0..<10 {
                    dispositions += harness.send((10 + round * 100)..<(10 + (round + 1) * 100))
                    try await Task.sleep(for: .milliseconds(150))
                }
                #expect(dispositions.contains(.spooled), "the 50-record queue overflowed into the spool")
                #expect(dispositions.contains(.queued))
                // The breaker's figures are published ten times a second: wait for them too.
                let status = try await harness.waitFor("timed-out records spooled and the failures seen") {
                    $0.ledger.inFlight == 0 && $0.ledger.queued == 0 && $0.breaker.failureRate > 0.5
                }
                #expect(status.breaker.mode == .forcedClosed, "it saw the failures and held anyway")
                #expect(status.breaker.state == .closed)
                #expect(status.breaker.transitions.keys.sorted() == ["auto->forced-closed"], "\(status.breaker.transitions)")
                #expect(status.ledger.droppedTotal == 0)

                harness.cluster.setBrokersUp()
                harness.buffer.setBreakerMode(.auto)
                try await harness.waitFor("everything delivered", timeout: .seconds(60)) { $0.ledger.delivered == 1010 && $0.ledger.spooled == 0 }
                try await harness.stop()
            }
        }

        /// Ten times more than memory and the spool can take: memory stays bounded,
        /// the oldest go first, and every drop is counted.
        @Test func overloadKeepsMemoryBoundedAndCountsDrops() async throws {
            let recorder = LogRecorder()
            try await withPipeline(logger: recorder.logger, configure: { configuration in
                configuration.queue = QueueLimits(maxRecords: 1000, maxBytes: 1 << 20)
                configuration.spoolHandoff = QueueLimits(maxRecords: 2000, maxBytes: 1 << 20)
                configuration.spool.maxRecords = 5000
            }) { harness in
                harness.buffer.setBreakerMode(.forcedOpen)
                try await harness.waitFor("forced open") { $0.breaker.mode == .forcedOpen }
                var largestQueued = 0
                for batch in 0..<50 {
                    let base = batch * 1000
                    harness.send(base..<(base + 1000))
                    let status = harness.buffer.status()
                    largestQueued = max(largestQueued, status.ledger.queued + status.ledger.inFlight)
                    #expect(status.ledger.imbalance == 0)
                }
                #expect(largestQueued <= 3000, "queue + hand-off bound")
                let status = try await harness.waitFor("hand-off written") { $0.ledger.queued == 0 }
                #expect(status.ledger.accepted == 50_000)
                #expect(status.ledger.spooled == 5000, "the spool holds its bound")
                #expect(status.ledger.dropped[DropReason.spoolEvicted.rawValue, default: 0] + status.ledger.dropped[DropReason.memoryFull.rawValue, default: 0] == 45_000)
                // Drops are logged too, by reason, not only counted.
                var budget = PollingBudget(.seconds(10))  // time spent waiting for a thread does not count
                while !recorder.recorded.contains(where: { $0.message == "records dropped" }), budget.spend() {
                    try await Task.sleep(for: .milliseconds(50))
                }
                let dropLines = recorder.recorded.filter { $0.message == "records dropped" }
                #expect(!dropLines.isEmpty)
                #expect(dropLines.allSatisfy { $0.level == .warning && ["spool_evicted", "memory_full"].contains($0.metadata["reason"]?.description) })
                try await harness.stop()
                // What survived is the newest.
                let kept = try Spool.openForInspection(path: harness.directory.file("spool.db")).readOldest(limit: 10_000)
                    .compactMap { Int(String(decoding: $0.record.value ?? [], as: UTF8.self).dropFirst(3)) }
                #expect(kept == kept.sorted())
                #expect(kept.last == 49_999)
            }
        }

        @Test func replayCanBePausedAndResumed() async throws {
            try await withPipeline { harness in
                harness.buffer.setBreakerMode(.forcedOpen)
                try await harness.waitFor("forced open") { $0.breaker.mode == .forcedOpen }
                harness.send(0..<500)
                try await harness.waitFor("spooled") { $0.ledger.spooled == 500 }
                harness.buffer.pauseReplay()
                harness.buffer.setBreakerMode(.auto)
                try await harness.waitFor("closed") { $0.breaker.state == .closed && $0.breaker.mode == .auto }
                harness.send(500..<510)
                try await harness.waitFor("live traffic flows while replay is paused") { $0.ledger.delivered == 10 }
                // The replay controller has seen the pause and says so; nothing was replayed.
                let paused = try await harness.waitFor("replay paused") { $0.replayPhase == .paused }
                #expect(paused.ledger.spooled == 500 && paused.ledger.replayed == 0, "paused: nothing replayed")
                harness.buffer.resumeReplay()
                try await harness.waitFor("replayed") { $0.ledger.spooled == 0 && $0.ledger.delivered == 510 }
                try await harness.stop()
            }
        }
    }
}

extension MockKafkaSuites {
    @Suite struct PipelineOrderingTests {
        /// `fifo`: while the spool holds a backlog, new records queue behind it in the spool.
        @Test func fifoOrderingQueuesNewRecordsBehindTheBacklog() async throws {
            try await withPipeline(configure: { $0.ordering = .fifo }) { harness in
                harness.buffer.setBreakerMode(.forcedOpen)
                try await harness.waitFor("forced open") { $0.breaker.mode == .forcedOpen }
                harness.send(0..<200)
                try await harness.waitFor("backlog spooled") { $0.ledger.spooled == 200 }
                harness.buffer.pauseReplay()
                harness.buffer.setBreakerMode(.auto)
                try await harness.waitFor("closed") { $0.breaker.mode == .auto && $0.breaker.state == .closed }
                #expect(harness.send(200..<210).allSatisfy { $0 == .spooled }, "behind the backlog, not around it")
                harness.buffer.resumeReplay()
                try await harness.waitFor("everything delivered") { $0.ledger.delivered == 210 && $0.ledger.spooled == 0 }
                #expect(harness.send(210..<220).allSatisfy { $0 == .queued }, "no backlog: straight to Kafka")
                try await harness.waitFor("delivered") { $0.ledger.delivered == 220 }
                try await harness.stop()
                let ids = try await harness.deliveredIDs()
                #expect(ids == Array(0..<220), "one partition, delivered in acceptance order")
            }
        }
    }
}
