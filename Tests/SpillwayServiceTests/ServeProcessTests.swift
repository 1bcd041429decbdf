import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SpillwaySpool
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    /// The real `spillway serve` binary in a child process, driven over loopback HTTP.
    @Suite struct ServeProcessTests {
        struct Service {
            let child: ChildProcess
            let ingest: String
            let admin: String

            func post(_ path: String, _ body: String) async throws -> Int {
                var request = URLRequest(url: URL(string: ingest + path)!)
                request.httpMethod = "POST"
                request.httpBody = Data(body.utf8)
                let (_, response) = try await URLSession.shared.data(for: request)
                return (response as! HTTPURLResponse).statusCode
            }

            func get(_ url: String) async throws -> (Int, String) {
                let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
                return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
            }

            func waitUntilReady() async throws {
                var budget = PollingBudget(.seconds(30))  // time spent waiting for a thread does not count
                while budget.spend() {
                    if let (status, _) = try? await get(admin + "/readyz"), status == 200 { return }
                    try await Task.sleep(for: .milliseconds(100))
                }
                Issue.record("spillway serve did not become ready: \(child.stopAndReadStandardError())")
                throw CancellationError()
            }
        }

        static func start(cluster: MockKafkaCluster, spool: String) throws -> Service {
            let port = freeLoopbackPort()
            let adminPort = freeLoopbackPort()
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SPILLWAY_") }
            environment["SPILLWAY_KAFKA_MESSAGE_TIMEOUT_MS"] = "2000"
            environment["SPILLWAY_SHUTDOWN_DEADLINE_MS"] = "1000"
            environment["SPILLWAY_LOG_LEVEL"] = "warning"
            let child = try ChildProcess(
                BuiltProducts.path(of: "spillway"),
                ["serve", "--kafka", cluster.bootstrapServers, "--port", "\(port)", "--admin-port", "\(adminPort)", "--spool", spool],
                environment: environment
            )
            return Service(child: child, ingest: "http://127.0.0.1:\(port)", admin: "http://127.0.0.1:\(adminPort)")
        }

        @Test func metricsAddUpAndSigtermWithKafkaDownLosesNothing() async throws {
            let cluster = try MockKafkaCluster()
            let directory = TemporaryDirectory("spillway-serve")
            defer { directory.remove() }
            let spoolPath = directory.file("spool.db")
            let service = try Self.start(cluster: cluster, spool: spoolPath)
            try await service.waitUntilReady()

            for index in 0..<50 {
                #expect(try await service.post("/v1/topics/served", "healthy-\(index)") == 202)
            }
            // The metrics report once a second; wait until they show everything delivered.
            // A scrape can fall between two metrics of one report, so wait until two
            // scrapes in a row agree (the traffic has stopped) and show everything delivered.
            var metrics: [String: Double] = [:]
            var previous: [String: Double] = [:]
            var budget = PollingBudget(.seconds(30))  // time spent waiting for a thread does not count
            repeat {
                previous = metrics
                try await Task.sleep(for: .milliseconds(300))
                let (status, text) = try await service.get(service.admin + "/metrics")
                #expect(status == 200)
                metrics = PrometheusText(text).byName.filter { !$0.key.contains("latency") && !$0.key.contains("replay_rate") }
            } while (metrics["spillway_delivered_total", default: 0] < 50 || metrics != previous) && budget.spend()
            #expect(metrics["spillway_accepted_total"] == 50)
            #expect(metrics["spillway_delivered_total"] == 50)
            let inFlow = metrics["spillway_accepted_total", default: 0] + metrics["spillway_recovered_total", default: 0]
            let accounted = metrics["spillway_delivered_total", default: 0] + metrics["spillway_queued", default: 0]
                + metrics["spillway_in_flight", default: 0] + metrics["spillway_spooled", default: 0] + metrics["spillway_dropped_total", default: 0]
            #expect(inFlow == accounted, "conservation: \(metrics)")
            #expect(metrics["spillway_breaker_state"] == 0)
            let (_, text) = try await service.get(service.admin + "/metrics")
            let latencies = PrometheusText(text).byName
            #expect(latencies["spillway_handover_latency_seconds_count", default: 0] >= 50)
            #expect(latencies["spillway_delivery_latency_seconds_count"] != nil)

            // Kafka goes away; records keep coming; then SIGTERM.
            cluster.setBrokersDown()
            for index in 0..<300 {
                #expect(try await service.post("/v1/topics/served", "outage-\(index)") == 202)
            }
            service.child.kill(SIGTERM)
            let status = await service.child.waitForExit()
            #expect(status == 0, "exit status \(status): \(service.child.standardError)")

            let spool = try Spool.openForInspection(path: spoolPath)
            let kept = try spool.readOldest(limit: 10_000).map { String(decoding: $0.record.value ?? [], as: UTF8.self) }
            #expect(Set(kept) == Set((0..<300).map { "outage-\($0)" }), "every record taken during the outage is in the spool")
        }
    }
}
