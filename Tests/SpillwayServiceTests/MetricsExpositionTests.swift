import Foundation
import Spillway
import SpillwayService
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    /// Issue 13, item 14: `GET /metrics` is valid Prometheus text, every metric with its help text.
    @Suite struct MetricsExpositionTests {
        /// The exposition of a real `spillway serve` that has taken and delivered a few records.
        static func scrape() async throws -> String {
            let cluster = try MockKafkaCluster()
            let directory = TemporaryDirectory("spillway-metrics")
            defer { directory.remove() }
            let service = try ServeProcessTests.start(cluster: cluster, spool: directory.file("spool.db"))
            defer {
                service.child.kill(SIGTERM)
                service.child.wait()
            }
            try await service.waitUntilReady()
            for index in 0..<5 {
                #expect(try await service.post("/v1/topics/metrics", "record-\(index)") == 202)
            }
            #expect(try await service.post("/v1/topics/bad%20topic", "x") == 422)
            var text = ""
            var budget = PollingBudget(.seconds(30))  // time spent waiting for a thread does not count
            repeat {
                try await Task.sleep(for: .milliseconds(300))
                let (status, body) = try await service.get(service.admin + "/metrics")
                #expect(status == 200)
                text = body
            } while PrometheusText(text).byName["spillway_delivered_total", default: 0] < 5 && budget.spend()
            return text
        }

        @Test func everyMetricHasHelpText() async throws {
            let text = try await Self.scrape()
            let lines = text.split(separator: "\n")
            let typed = Set(lines.filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) })
            let helped = Set(lines.filter { $0.hasPrefix("# HELP ") }.compactMap { line -> String? in
                let parts = line.split(separator: " ", maxSplits: 3)
                return parts.count == 4 && !parts[3].trimmingCharacters(in: .whitespaces).isEmpty ? String(parts[2]) : nil
            })
            #expect(typed.count > 20, "metrics: \(typed.sorted())")
            #expect(typed.subtracting(helped).isEmpty, "no help text: \(typed.subtracting(helped).sorted())")
            // Written for each metric, not the fallback that names the gap, and of the type the catalog says.
            let cataloged = Set(MetricCatalog.all.map(\.name))
            #expect(typed.subtracting(cataloged).isEmpty, "not in MetricCatalog: \(typed.subtracting(cataloged).sorted())")
            for line in lines where line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, let metric = MetricCatalog.named(String(parts[2])) else { continue }
                #expect(metric.kind.rawValue == parts[3], "\(line): the catalog says \(metric.kind)")
            }
        }

        @Test(.enabled(if: try Prerequisites.hasPromtool, "needs promtool (Debian's prometheus package; CI installs it)"))
        func metricsPassPromtool() async throws {
            let text = try await Self.scrape()
            // Through ChildProcess, off the cooperative pool (it waits for promtool).
            let checked = try await ChildProcess.runOffThePool(Prerequisites.promtoolPath, ["check", "metrics"], input: Data(text.utf8))
            let report = checked.stdout + checked.stderr
            #expect(checked.status == 0, "promtool check metrics:\n\(report)")
            #expect(!report.contains("no help text"), "\(report)")
        }

        /// With two clusters every pipeline series says whose it is (`cluster`), so
        /// the two compartments' figures neither overwrite nor hide each other.
        @Test func aServiceWithTwoClustersLabelsEverySeriesWithItsCluster() async throws {
            let main = try MockKafkaCluster(), side = try MockKafkaCluster()
            let directory = TemporaryDirectory("spillway-metrics")
            defer { directory.remove() }
            let config = directory.file("clusters.json")
            try Data(#"{"clusters": {"side": {"topics": ["side.*"], "kafka": {"bootstrap_servers": ["\#(side.bootstrapServers)"]}}}}"#.utf8)
                .write(to: URL(fileURLWithPath: config))
            let service = try ServeProcessTests.start(cluster: main, spool: directory.file("spool.db"), environment: ["SPILLWAY_CONFIG": config])
            defer {
                service.child.kill(SIGTERM)
                service.child.wait()
            }
            try await service.waitUntilReady()
            for index in 0..<3 { #expect(try await service.post("/v1/topics/metrics", "main-\(index)") == 202) }
            for index in 0..<2 { #expect(try await service.post("/v1/topics/side.events", "side-\(index)") == 202) }
            var text = ""
            var budget = PollingBudget(.seconds(30))
            repeat {
                try await Task.sleep(for: .milliseconds(300))
                text = try await service.get(service.admin + "/metrics").1
            } while PrometheusText(text).byName["spillway_delivered_total", default: 0] < 5 && budget.spend()
            let samples = PrometheusText(text).samples
            func byCluster(_ name: String) -> [String: Double] {
                Dictionary(samples.filter { $0.name == name }.map { ($0.label("cluster") ?? "(none)", $0.value) }, uniquingKeysWith: +)
            }
            #expect(byCluster("spillway_delivered_total") == ["default": 3, "side": 2])
            #expect(byCluster("spillway_accepted_total") == ["default": 3, "side": 2])
            for name in ["spillway_breaker_state", "spillway_spooled", "spillway_queued", "spillway_dropped_total", "spillway_replay_rate_records_per_second", "spillway_replay_phase"] {
                #expect(Set(byCluster(name).keys) == ["default", "side"], "\(name)")
            }
            if try Prerequisites.hasPromtool {
                let checked = try await ChildProcess.runOffThePool(Prerequisites.promtoolPath, ["check", "metrics"], input: Data(text.utf8))
                #expect(checked.status == 0, "promtool check metrics:\n\(checked.stdout + checked.stderr)")
            }
        }
    }
}
