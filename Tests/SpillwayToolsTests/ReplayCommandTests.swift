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
