import Foundation
import Spillway
import SpillwaySpool
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    /// Coming back: noticing Kafka's recovery quickly, and not duplicating what
    /// was already on the wire when the breaker opened.
    @Suite struct PipelineRecoveryTests {
        /// However many probes failed during a long outage, the recovery is seen
        /// within the probe cadence: failed probes no longer stretch the wait. (With
        /// the open interval backing off per failed probe, as before, this outage
        /// would have left the breaker open for 8 s or more after Kafka came back.)
        @Test func recoveryIsNoticedWithinTheProbeCadenceAfterManyFailedProbes() async throws {
            try await withPipeline(configure: { configuration in
                configuration.breaker.openDuration = .seconds(1)
                configuration.breaker.maxOpenDuration = .seconds(60)
            }) { harness in
                let events = harness.buffer.breakerEvents()
                harness.send(0..<20)
                try await harness.waitFor("warm-up delivered") { $0.ledger.delivered == 20 }
                harness.cluster.setBrokersDown()
                let opened = Task { try await PipelineHarness.nextEvent(events) { $0.transition.toState == .open } }
                var (next, _) = try await harness.sendUntilBreakerOpens(from: 20, pauseEvery: 20, pause: .milliseconds(10))
                _ = try await opened.value
                // Several seconds of failed probes (one every 100–300 ms here).
                try await harness.waitFor("probes failing", timeout: .seconds(30)) { $0.breaker.lastProbeFailure != nil }
                let outageEnds = ContinuousClock.now + .seconds(10)
                while ContinuousClock.now < outageEnds {
                    harness.send(next..<(next + 10))
                    next += 10
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(harness.buffer.status().breaker.state == .open)

                let leftOpen = Task { try await PipelineHarness.nextEvent(events) { $0.transition.fromState == .open } }
                // Measured to the transition's own time stamp, taken by the pipeline when it
                // happened: how late this test's task sees the event is not the pipeline's delay.
                let recovered = Date()
                harness.cluster.setBrokersUp()
                let event = try await leftOpen.value
                let detection = event.date.timeIntervalSince(recovered)
                #expect(event.transition.reason.contains("probe succeeded"), "\(event.transition.reason)")
                #expect(detection < 3, "recovery noticed \(detection) s after Kafka came back")
                try await harness.waitFor("backlog replayed", timeout: .seconds(60)) { $0.ledger.spooled == 0 && $0.ledger.delivered >= next }
                try await harness.stop()
                #expect(Set(try await harness.deliveredIDs()) == Set(0..<next))
            }
        }

        /// The cluster hangs: when the breaker opens, records librdkafka has not sent
        /// go to the spool, but those already on the wire stay in flight until the
        /// broker answers (it stored them). Taking them back too, as before, replayed
        /// every one of them a second time.
        @Test func recordsOnTheWireWhenTheBreakerOpensAreNotSpooledAndNotDuplicated() async throws {
            try await withPipeline(configure: { configuration in
                configuration.kafka.messageTimeout = .seconds(600)
                configuration.breaker.slowCallDuration = .milliseconds(500)
            }) { harness in
                let events = harness.buffer.breakerEvents()
                harness.send(0..<20)
                try await harness.waitFor("warm-up delivered") { $0.ledger.delivered == 20 }
                // Kafka hangs (stores, does not answer) until the test ends the hang: the breaker
                // opens on calls outstanding past the slow-call duration, and what is on the wire
                // stays there until then, however late this test looks (with answers after 4 s,
                // as before, a loaded machine could look after they came). The message timeout
                // is longer than the test, so nothing times out meanwhile.
                harness.cluster.setRoundTripTime(milliseconds: 600_000)
                let opened = Task { try await PipelineHarness.nextEvent(events) { $0.transition.toState == .open } }
                let (next, _) = try await harness.sendUntilBreakerOpens(from: 20, pauseEvery: 20, pause: .milliseconds(20))
                _ = try await opened.value
                let atOpening = harness.buffer.status().ledger
                #expect(atOpening.inFlight > 0, "requests on the wire stay in flight: \(atOpening)")
                // The broker answers what it held back once its round trip is 0 again.
                harness.cluster.setRoundTripTime(milliseconds: 0)
                let settled = try await harness.waitFor("the wire's records acknowledged", timeout: .seconds(30)) { $0.ledger.inFlight == 0 }
                #expect(settled.ledger.delivered > atOpening.delivered, "the records on the wire were delivered, not spooled")
                #expect(settled.ledger.possiblyPersisted == 0)

                harness.cluster.setRoundTripTime(milliseconds: 0)
                try await harness.waitFor("backlog replayed", timeout: .seconds(60)) { $0.ledger.spooled == 0 && $0.ledger.delivered >= next }
                try await harness.stop()
                let ids = try await harness.deliveredIDs()
                #expect(Set(ids) == Set(0..<next), "every record arrived")
                #expect(ids.count == Set(ids).count, "and once: \(ids.count - Set(ids).count) duplicates")
            }
        }

        /// A record whose request was on the wire when it failed may be in Kafka
        /// already: it is spooled marked possibly persisted, the mark survives a
        /// restart, and with record ids on, the replayed copy says it may be a duplicate.
        @Test func possiblyPersistedRecordsAreMarkedAndTheirReplaySaysSo() async throws {
            let cluster = try MockKafkaCluster()
            let spoolDirectory = TemporaryDirectory("spillway-possibly-persisted")
            defer { spoolDirectory.remove() }
            let path = spoolDirectory.file("spool.db")
            var marked = 0
            try await withPipeline(cluster: cluster, configure: { configuration in
                configuration.spool.path = path
                configuration.kafka.messageTimeout = .seconds(1)
                configuration.recordIDHeader = "spillway-id"
            }) { harness in
                harness.send(0..<5)
                try await harness.waitFor("warm-up delivered") { $0.ledger.delivered == 5 }
                // The broker stores what it gets but does not answer before the test ends:
                // every request times out on the wire, however late librdkafka notices.
                harness.cluster.setRoundTripTime(milliseconds: 600_000)
                harness.send(5..<25)
                let status = try await harness.waitFor("timed out and spooled", timeout: .seconds(30)) { $0.ledger.inFlight == 0 && $0.ledger.queued == 0 }
                #expect(status.ledger.possiblyPersisted == 20, "\(status.ledger)")
                marked = status.ledger.possiblyPersisted
                harness.buffer.setBreakerMode(.forcedOpen)
                try await harness.waitFor("forced open") { $0.breaker.mode == .forcedOpen }
            }
            let spooled = try Spool.openForInspection(path: path).readOldest(limit: 100)
            #expect(spooled.count == 20)
            #expect(spooled.allSatisfy { $0.record.possiblyPersisted }, "the mark is in the spool, across the restart")
            #expect(spooled.allSatisfy { $0.record.headers.contains { $0.name == "spillway-id" } })

            // A new run replays them to a healthy broker.
            cluster.setRoundTripTime(milliseconds: 0)
            try await withPipeline(cluster: cluster, configure: { configuration in
                configuration.spool.path = path
                configuration.recordIDHeader = "spillway-id"
            }) { harness in
                try await harness.waitFor("replayed", timeout: .seconds(60)) { $0.ledger.spooled == 0 && $0.ledger.replayed == 20 }
                try await harness.stop()
                let records = try await KafkaTopicReader.read(bootstrapServers: cluster.bootstrapServers, topic: harness.topic)
                let byID = Dictionary(grouping: records) { ($0.headers["spillway-id"] ?? nil).map { String(decoding: $0, as: UTF8.self) } ?? "none" }
                #expect(byID["none"] == nil, "every record carries its id")
                let duplicated = byID.filter { $0.value.count > 1 }
                #expect(duplicated.count == marked, "the broker stored the timed-out originals: each replay duplicates one")
                #expect(duplicated.values.allSatisfy { copies in
                    copies.contains { $0.headers["spillway-possibly-persisted"] == Array("1".utf8) }
                }, "every duplicate is explained by a marked copy")
                #expect(records.filter { $0.headers["spillway-possibly-persisted"] != nil }.count == marked)
            }
        }
    }
}
