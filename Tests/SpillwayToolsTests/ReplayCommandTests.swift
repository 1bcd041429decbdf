import Foundation
import SpillwaySpool
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    /// `spillway replay`, run as an operator would after an outage.
    @Suite struct ReplayCommandTests {
        static func spoolWith(_ count: Int, at path: String) throws {
            try SpoolFixtures.spool(at: path, records: SpoolFixtures.numbered(count, topic: "outage"))
        }

        static func ids(_ cluster: MockKafkaCluster, topic: String) async throws -> [Int] {
            try await KafkaTopicReader.read(bootstrapServers: cluster.bootstrapServers, topic: topic).compactMap {
                Int(String(decoding: $0.value ?? [], as: UTF8.self).dropFirst(3))
            }
        }

        @Test func interruptedReplayResumesWithoutLoss() async throws {
            let cluster = try MockKafkaCluster()
            try cluster.createTopic("outage")
            let directory = TemporaryDirectory("spillway-replay")
            defer { directory.remove() }
            let path = directory.file("spool.db")
            try Self.spoolWith(2000, at: path)

            // Killed midway (SIGKILL: no chance to tidy up), once some records are
            // acknowledged and deleted; at 20/s the whole replay would take 100 s,
            // far more than the 5 s the first 100 take, so a loaded machine still sees it midway.
            let first = try ChildProcess(BuiltProducts.path(of: "spillway"), ["replay", "--spool", path, "--kafka", cluster.bootstrapServers, "--rate", "20"])
            // Progress as Kafka sees it, not through the spool the replay is writing.
            var budget = PollingBudget(.seconds(60))  // time spent waiting for a thread does not count
            while budget.spend(), try await Self.ids(cluster, topic: "outage").count < 100 {
                try await Task.sleep(for: .milliseconds(50))
            }
            first.kill(SIGKILL)
            await first.waitForExit()
            let left = try Spool.openForInspection(path: path).totals.readyCount
            #expect(left > 0 && left < 2000, "it was killed midway (\(left) left)")

            let second = try await ChildProcess.runOffThePool(BuiltProducts.path(of: "spillway"), ["replay", "--spool", path, "--kafka", cluster.bootstrapServers, "--rate", "100000"])
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout.contains("replayed \(left) records"))
            #expect(try Spool.openForInspection(path: path).totals.readyCount == 0)

            let delivered = try await Self.ids(cluster, topic: "outage")
            #expect(Set(delivered) == Set(0..<2000), "no loss")
            let duplicates = delivered.count - Set(delivered).count
            // Only records in flight at the kill (at most one batch) can arrive twice.
            #expect(duplicates <= 500, "\(duplicates) duplicates")
        }

        /// With the service's configuration, each record goes to its topic's cluster,
        /// and `--cluster` replays that cluster's own spool file.
        @Test func withAConfigurationEachRecordGoesToItsTopicsCluster() async throws {
            let main = try MockKafkaCluster(), audit = try MockKafkaCluster()
            try main.createTopic("outage")
            try audit.createTopic("audit.login")
            let directory = TemporaryDirectory("spillway-replay")
            defer { directory.remove() }
            let config = directory.file("spillway.json")
            try Data(#"""
                {"kafka": {"bootstrap_servers": ["\#(main.bootstrapServers)"]}, "spool": {"path": "\#(directory.file("spool.db"))"},
                 "clusters": {"audit": {"topics": ["audit.*"], "kafka": {"bootstrap_servers": ["\#(audit.bootstrapServers)"]}}}}
                """#.utf8).write(to: URL(fileURLWithPath: config))
            // An export holding both clusters' topics, as from a spool the routes have since changed for.
            let mixed = directory.file("mixed.db")
            try SpoolFixtures.spool(at: mixed, records: SpoolFixtures.numbered(100, topic: "outage") + SpoolFixtures.numbered(50, topic: "audit.login"))
            let exportPath = directory.file("mixed.ndjson")
            #expect(try await ChildProcess.runOffThePool(BuiltProducts.path(of: "spillway"), ["spool", "export", "--spool", mixed, "--output", exportPath]).status == 0)
            let dry = try await ChildProcess.runOffThePool(BuiltProducts.path(of: "spillway"), ["replay", "--export", exportPath, "--config", config, "--dry-run"])
            #expect(dry.stdout.contains("audit.login: 50 records") && dry.stdout.contains("to cluster audit"), "\(dry.stdout)")
            let run = try await ChildProcess.runOffThePool(BuiltProducts.path(of: "spillway"), ["replay", "--export", exportPath, "--config", config])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("replayed 150 records"), "\(run.stdout)")
            #expect(Set(try await Self.ids(main, topic: "outage")) == Set(0..<100))
            #expect(Set(try await Self.ids(audit, topic: "audit.login")) == Set(0..<50))

            // The audit cluster's own spool file, found from the configuration.
            try SpoolFixtures.spool(at: directory.file("spool.audit.db"), records: SpoolFixtures.numbered(20, topic: "audit.login"))
            let own = try await ChildProcess.runOffThePool(BuiltProducts.path(of: "spillway"), ["replay", "--config", config, "--cluster", "audit"])
            #expect(own.status == 0, "\(own.stderr)")
            #expect(own.stdout.contains("replayed 20 records"), "\(own.stdout)")
            #expect(try Spool.openForInspection(path: directory.file("spool.audit.db")).totals.readyCount == 0)
            #expect(try await Self.ids(audit, topic: "audit.login").count == 70)
            let unknown = try await ChildProcess.runOffThePool(BuiltProducts.path(of: "spillway"), ["replay", "--config", config, "--cluster", "billing"])
            #expect(unknown.status != 0 && unknown.stderr.contains("has no such cluster (clusters: default, audit)"), "\(unknown.stderr)")
        }

        @Test func rateLimitIsRespectedAndTopicsAreMapped() async throws {
            let cluster = try MockKafkaCluster()
            let directory = TemporaryDirectory("spillway-replay")
            defer { directory.remove() }
            let path = directory.file("spool.db")
            try Self.spoolWith(600, at: path)
            let started = ContinuousClock.now
            let result = try await ChildProcess.runOffThePool(BuiltProducts.path(of: "spillway"), ["replay", "--spool", path, "--kafka", cluster.bootstrapServers, "--rate", "300", "--topic-map", "outage=recovered"])
            let elapsed = ContinuousClock.now - started
            #expect(result.status == 0, "\(result.stderr)")
            // 600 records at 300/s, with at most 30 (a tenth of a second) of burst: at least 1.9 s.
            #expect(elapsed >= .milliseconds(1900), "took \(elapsed)")
            #expect(Set(try await Self.ids(cluster, topic: "recovered")) == Set(0..<600))
        }

        @Test func refusesWhileTheServiceHoldsTheSpool() async throws {
            let directory = TemporaryDirectory("spillway-replay")
            defer { directory.remove() }
            let path = directory.file("spool.db")
            try Self.spoolWith(10, at: path)
            let service = try SpoolFixtures.open(SpoolConfiguration(path: path))
            defer { service.close() }
            let result = try await ChildProcess.runOffThePool(BuiltProducts.path(of: "spillway"), ["replay", "--spool", path, "--kafka", "127.0.0.1:1"])
            #expect(result.status != 0)
            #expect(result.stderr.contains("is locked by another process (pid \(getpid()))"))
            // A dry run only reads, so it works beside the service.
            let dryRun = try await ChildProcess.runOffThePool(BuiltProducts.path(of: "spillway"), ["replay", "--spool", path, "--dry-run"])
            #expect(dryRun.status == 0, "\(dryRun.stderr)")
            #expect(dryRun.stdout.contains("would send 10 records"))
        }

        @Test func exportReplayResumesFromItsProgressFileAndDryRunSendsNothing() async throws {
            let cluster = try MockKafkaCluster()
            let directory = TemporaryDirectory("spillway-replay")
            defer { directory.remove() }
            let path = directory.file("spool.db")
            try Self.spoolWith(300, at: path)
            let exportPath = directory.file("backup.ndjson")
            #expect(try await ChildProcess.runOffThePool(BuiltProducts.path(of: "spillway"), ["spool", "export", "--spool", path, "--output", exportPath]).status == 0)

            let dry = try await ChildProcess.runOffThePool(BuiltProducts.path(of: "spillway"), ["replay", "--export", exportPath, "--dry-run", "--since", "1764000000100"])
            #expect(dry.status == 0)
            #expect(dry.stdout.contains("would send 200 records"))

            let run = try await ChildProcess.runOffThePool(BuiltProducts.path(of: "spillway"), ["replay", "--export", exportPath, "--kafka", cluster.bootstrapServers, "--topic", "outage"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("replayed 300 records"))
            // A second run finds nothing left to do.
            let again = try await ChildProcess.runOffThePool(BuiltProducts.path(of: "spillway"), ["replay", "--export", exportPath, "--kafka", cluster.bootstrapServers])
            #expect(again.stdout.contains("replayed 0 records"))
            #expect(try await Self.ids(cluster, topic: "outage").count == 300)
        }
    }
}
