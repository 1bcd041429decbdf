import Logging
import Spillway
import SpillwaySpool
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    /// Two clusters behind one router: what happens to one compartment never reaches the other.
    @Suite struct SpillwayRouterTests {
        /// Runs a router with `default` on one mock cluster and `audit` (topics
        /// `audit.*`) on another, each with its own spool file, then stops it.
        static func withRouter(_ body: (SpillwayRouter, _ main: MockKafkaCluster, _ audit: MockKafkaCluster) async throws -> Void) async throws {
            try await HeavyTestLane.run {
                let main = try MockKafkaCluster(), audit = try MockKafkaCluster()
                try main.createTopic("events")
                try audit.createTopic("audit.login")
                let directory = TemporaryDirectory("spillway-router")
                defer { directory.remove() }
                let mainConfiguration = PipelineHarness.configuration(cluster: main, directory: directory)
                var auditConfiguration = PipelineHarness.configuration(cluster: audit, directory: directory)
                auditConfiguration.spool.path = directory.file("spool.audit.db")
                var quiet = Logger(label: "spillway-test")
                quiet.logLevel = .warning
                let router = try SpillwayRouter(
                    compartments: [("default", mainConfiguration), ("audit", auditConfiguration)],
                    routes: [TopicRoute(topics: [TopicPattern("audit.*")], cluster: "audit")],
                    logger: quiet
                )
                try await router.whileRunning { try await body(router, main, audit) }
            }
        }

        /// A `default` and an `audit` compartment pointed at a port nothing listens on,
        /// each with a spool file in `directory` and whatever `configure` sets.
        static func unconnected(
            in directory: TemporaryDirectory, _ configure: (inout SpillwayConfiguration) -> Void = { _ in }
        ) -> (main: SpillwayConfiguration, audit: SpillwayConfiguration) {
            var main = SpillwayConfiguration()
            main.kafka.bootstrapServers = ["127.0.0.1:1"]
            main.kafka.properties["log_level"] = "0"
            main.spool.path = directory.file("spool.db")
            configure(&main)
            var audit = main
            audit.spool.path = directory.file("spool.audit.db")
            return (main, audit)
        }

        static func record(_ topic: String, _ id: Int) -> OutgoingRecord {
            OutgoingRecord(topic: topic, value: Array("id-\(id)".utf8))
        }

        static func ids(_ cluster: MockKafkaCluster, _ topic: String) async throws -> Set<Int> {
            Set(try await KafkaTopicReader.read(bootstrapServers: cluster.bootstrapServers, topic: topic).compactMap { record in
                let text = String(decoding: record.value ?? [], as: UTF8.self)
                return text.hasPrefix("id-") ? Int(text.dropFirst(3)) : nil
            })
        }

        /// A mixed batch is split by compartment and answered in the caller's order,
        /// each record by the cluster its topic is routed to.
        @Test func aMixedBatchIsAnsweredInOrderByEachRecordsOwnCluster() async throws {
            try await Self.withRouter { router, main, audit in
                let batch = (0..<40).map { Self.record($0 % 3 == 0 ? "audit.login" : "events", $0) }
                let answers = await router.send(batch, ack: .kafka)
                #expect(answers.count == 40)
                #expect(answers.allSatisfy { $0.reached == .kafka && $0.offset != nil }, "\(answers)")
                // Offsets count up per cluster in the batch's order: each record went to its own cluster.
                let auditOffsets = answers.enumerated().filter { $0.offset % 3 == 0 }.map { $0.element.offset! }
                let mainOffsets = answers.enumerated().filter { $0.offset % 3 != 0 }.map { $0.element.offset! }
                #expect(auditOffsets == Array(0..<Int64(auditOffsets.count)))
                #expect(mainOffsets == Array(0..<Int64(mainOffsets.count)))
                let auditIDs = try await Self.ids(audit, "audit.login"), mainIDs = try await Self.ids(main, "events")
                #expect(auditIDs == Set((0..<40).filter { $0 % 3 == 0 }))
                #expect(mainIDs == Set((0..<40).filter { $0 % 3 != 0 }))
                #expect(router.buffer(forTopic: "audit.login") === router.buffer(cluster: "audit"))
                #expect(router.buffer(forTopic: "unrouted") === router.buffer(cluster: "default"))
            }
        }

        /// The audit cluster hangs: its breaker opens and its records spool, while the
        /// default cluster's records keep going straight to Kafka, none of them spilled.
        /// When the audit cluster answers again its spool replays; nothing is lost on either side.
        @Test func aHungClusterFillsOnlyItsOwnCompartment() async throws {
            try await Self.withRouter { router, main, audit in
                let mainBuffer = try #require(router.buffer(cluster: "default"))
                let auditBuffer = try #require(router.buffer(cluster: "audit"))
                _ = router.send((0..<50).flatMap { [Self.record("events", $0), Self.record("audit.login", $0)] })
                _ = try await mainBuffer.waitFor("default warmed up") { $0.ledger.delivered == 50 }
                _ = try await auditBuffer.waitFor("audit warmed up") { $0.ledger.delivered == 50 }

                audit.setRoundTripTime(milliseconds: 30_000)
                var next = 50
                while auditBuffer.status().breaker.state != .open, next < 200_000 {
                    _ = router.send(topic: "events", value: Array("id-\(next)".utf8))
                    _ = router.send(topic: "audit.login", value: Array("id-\(next)".utf8))
                    next += 1
                    if next % 50 == 0 { try await Task.sleep(for: .milliseconds(10)) }
                }
                #expect(auditBuffer.status().breaker.state == .open)
                for id in next..<(next + 2000) {
                    #expect(router.send(topic: "audit.login", value: Array("id-\(id)".utf8)) == .spooled)
                    #expect(router.send(topic: "events", value: Array("id-\(id)".utf8)) == .queued)
                }
                next += 2000
                let mainWhileHung = try await mainBuffer.waitFor("default delivered everything") { $0.ledger.delivered == next }
                #expect(mainWhileHung.ledger.spilled == 0)
                #expect(mainWhileHung.breaker.state == .closed)
                _ = try await auditBuffer.waitFor("audit spooled its backlog") { $0.ledger.spooled >= 2000 && $0.ledger.inFlight == 0 }

                audit.setRoundTripTime(milliseconds: 0)
                _ = try await auditBuffer.waitFor("audit drained", timeout: .seconds(60)) { $0.ledger.spooled == 0 && $0.ledger.delivered == next }
                #expect(mainBuffer.status().ledger.spilled == 0)
                let mainIDs = try await Self.ids(main, "events"), auditIDs = try await Self.ids(audit, "audit.login")
                #expect(mainIDs == Set(0..<next))
                #expect(auditIDs == Set(0..<next))
                for (cluster, buffer) in router.compartments {
                    let ledger = buffer.status().ledger
                    #expect(ledger.imbalance == 0 && ledger.droppedTotal == 0, "\(cluster): \(ledger)")
                }
            }
        }

        /// Random traffic, single and batched, over valid, invalid and oversize records of
        /// both compartments' topics: each compartment counts exactly what was routed to it,
        /// and its books balance.
        @Test func eachCompartmentAccountsForExactlyWhatWasRoutedToIt() async throws {
            try await HeavyTestLane.run {
                let directory = TemporaryDirectory("spillway-router")
                defer { directory.remove() }
                let (main, audit) = Self.unconnected(in: directory) { configuration in
                    configuration.maxRecordBytes = 1000
                    configuration.shutdownDeadline = .milliseconds(100)
                }
                var quiet = Logger(label: "spillway-test")
                quiet.logLevel = .critical
                let router = try SpillwayRouter(
                    compartments: [("default", main), ("audit", audit)],
                    routes: [TopicRoute(topics: [TopicPattern("audit.*"), TopicPattern("billing")], cluster: "audit")],
                    logger: quiet
                )
                router.setBreakerMode(.forcedOpen)
                try await router.whileRunning {
                    var random = SplitMix64(seed: 19)
                    let topics = ["events", "audit.login", "billing", "audit.", "bad topic!", "", "metrics"]
                    var expected: [String: (accepted: Int, rejected: Int)] = ["default": (0, 0), "audit": (0, 0)]
                    func record() -> OutgoingRecord {
                        let topic = topics[Int(random.next() % UInt64(topics.count))]
                        let size = random.next() % 10 == 0 ? 1500 : Int(random.next() % 200)
                        return OutgoingRecord(topic: topic, value: [UInt8](repeating: 0x61, count: size))
                    }
                    func count(_ record: OutgoingRecord, _ disposition: Disposition) {
                        let cluster = router.routes.cluster(forTopic: record.topic)
                        if case .rejected = disposition { expected[cluster]!.rejected += 1 } else { expected[cluster]!.accepted += 1 }
                        let valid = TopicName.problem(with: record.topic) == nil && (record.value?.count ?? 0) < 1000
                        #expect(valid == (disposition == .spooled || disposition == .queued), "\(record.topic) \(record.value?.count ?? 0): \(disposition)")
                    }
                    for _ in 0..<300 {
                        if random.next() % 2 == 0 {
                            let one = record()
                            count(one, router.send(topic: one.topic, value: one.value))
                        } else {
                            let batch = (0..<Int(1 + random.next() % 40)).map { _ in record() }
                            for (item, disposition) in zip(batch, router.send(batch)) { count(item, disposition) }
                        }
                    }
                    for (cluster, buffer) in router.compartments {
                        let status = try await buffer.waitFor("\(cluster) spooled what it took") { $0.ledger.spooled == expected[cluster]!.accepted }
                        #expect(status.ledger.accepted == expected[cluster]!.accepted, "\(cluster)")
                        #expect(status.ledger.rejected.values.reduce(0, +) == expected[cluster]!.rejected, "\(cluster)")
                        #expect(status.ledger.imbalance == 0 && status.ledger.droppedTotal == 0, "\(cluster): \(status.ledger)")
                    }
                    #expect(expected.values.allSatisfy { $0.accepted > 100 && $0.rejected > 10 }, "both compartments took and refused records: \(expected)")
                }
            }
        }

        /// Past `maxScannedGlobs` a topic's cluster is cached: the answers are the same, each time.
        @Test func manyGlobsRouteAsFewDo() throws {
            let directory = TemporaryDirectory("spillway-router")
            defer { directory.remove() }
            let (main, audit) = Self.unconnected(in: directory)
            let globs = try (0..<12).map { try TopicPattern("audit\($0).*") }
            let router = try SpillwayRouter(compartments: [("default", main), ("audit", audit)], routes: [TopicRoute(topics: globs, cluster: "audit")])
            #expect(router.routes.globCount > SpillwayRouter.maxScannedGlobs)
            for _ in 0..<2 {
                #expect(router.buffer(forTopic: "audit11.login") === router.buffer(cluster: "audit"))
                #expect(router.buffer(forTopic: "audit3.x") === router.buffer(cluster: "audit"))
                #expect(router.buffer(forTopic: "audit.x") === router.buffer(cluster: "default"))
            }
        }

        @Test func compartmentsThatWouldShareASpoolOrLackADefaultAreRefused() throws {
            let directory = TemporaryDirectory("spillway-router")
            defer { directory.remove() }
            var configuration = SpillwayConfiguration()
            configuration.kafka.bootstrapServers = ["127.0.0.1:1"]
            configuration.spool.path = directory.file("spool.db")
            var sameSpool = configuration
            sameSpool.spool.path = directory.file("./spool.db")
            let shared = #expect(throws: SpillwayConfigurationError.self) {
                try SpillwayRouter(compartments: [("default", configuration), ("audit", sameSpool)], routes: [])
            }
            #expect(shared?.description.contains("clusters \"default\" and \"audit\" both spool to") == true)
            let noDefault = #expect(throws: SpillwayConfigurationError.self) {
                try SpillwayRouter(compartments: [("audit", configuration)], routes: [])
            }
            #expect(noDefault?.description.contains("no cluster named \"default\"") == true)
            var other = configuration
            other.spool.path = directory.file("spool.audit.db")
            let badName = #expect(throws: SpillwayConfigurationError.self) {
                try SpillwayRouter(compartments: [("default", configuration), ("Audit EU", other)], routes: [])
            }
            #expect(badName?.description.contains("cluster \"Audit EU\": its name must be") == true)
        }
    }
}
