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

        static func start(cluster: MockKafkaCluster, spool: String, environment extra: [String: String] = [:]) throws -> Service {
            let port = freeLoopbackPort()
            let adminPort = freeLoopbackPort()
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SPILLWAY_") }
            environment["SPILLWAY_KAFKA_MESSAGE_TIMEOUT_MS"] = "2000"
            environment["SPILLWAY_SHUTDOWN_DEADLINE_MS"] = "1000"
            environment["SPILLWAY_LOG_LEVEL"] = "warning"
            environment.merge(extra) { $1 }
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

        /// `status`, `breaker` and `backlog` against the real admin API, token
        /// and all: the client moved from URLSession to AsyncHTTPClient (issue 22:
        /// FoundationNetworking loaded libcurl into every `serve`), and no other
        /// test drives it end to end.
        @Test func theCommandLineDrivesTheAdminAPI() async throws {
            let cluster = try MockKafkaCluster()
            let directory = TemporaryDirectory("spillway-admin-cli")
            defer { directory.remove() }
            let token = "a-token-of-twenty-chars"
            let service = try Self.start(cluster: cluster, spool: directory.file("spool.db"), environment: ["SPILLWAY_ADMIN_TOKEN": token])
            try await service.waitUntilReady()
            let spillway = BuiltProducts.path(of: "spillway")
            func cli(_ arguments: String...) async throws -> (status: Int32, stdout: String, stderr: String) {
                try await ChildProcess.runOffThePool(spillway, arguments + ["--admin", service.admin])
            }

            let refused = try await cli("status")
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("the admin API at \(service.admin) wants a bearer token"), "\(refused.stderr)")
            let wrong = try await cli("status", "--token", "not-the-token-at-all")
            #expect(wrong.stderr.contains("refused the token"), "\(wrong.stderr)")

            let opened = try await cli("breaker", "open", "--token", token)
            #expect(opened.status == 0, "\(opened.stderr)")
            #expect(opened.stdout.contains("breaker mode set to open"), "\(opened.stdout)")
            let paused = try await cli("backlog", "pause", "--token", token)
            #expect(paused.status == 0, "\(paused.stderr)")
            let status = try await cli("status", "--token", token)
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout.contains("breaker     forced open (by an operator"), "\(status.stdout)")
            let json = try await cli("status", "--json", "--token", token)
            let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            #expect((document?["replay"] as? [String: Any])?["paused"] as? Bool == true, "\(json.stdout)")

            let notAdmin = try await ChildProcess.runOffThePool(spillway, ["status", "--token", token, "--admin", service.ingest])
            #expect(notAdmin.stderr.contains("not the ingest port?"), "\(notAdmin.stderr)")
            service.child.kill(SIGTERM)
            #expect(await service.child.waitForExit() == 0)
        }
    }
}
