import Foundation
import Spillway
import SpillwayService
import SpillwayTestKit
import Testing

/// `clusters.NAME` in the configuration file: more Kafka clusters, each a compartment of its own.
@Suite struct ClusterSettingsTests {
    func load(_ json: String) async throws -> ServiceSettings {
        let directory = TemporaryDirectory("spillway-config")
        defer { directory.remove() }
        let path = directory.file("spillway.json")
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return try await SettingsLoader.load(file: path, environment: [:])
    }

    func refusal(_ json: String) async -> String? {
        do {
            _ = try await load(json)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aClusterTakesItsTopicsItsKeysOverTheTopLevelOnesAndItsShareOfTheSpool() async throws {
        let settings = try await load(#"""
        {"kafka": {"bootstrap_servers": ["main:9092"], "linger_ms": 7, "properties": {"security.protocol": "SSL"}},
         "breaker": {"open_ms": 1500},
         "spool": {"path": "data/spool.db", "max_bytes": 1073741824, "max_records": 1000000},
         "clusters": {
           "audit": {"kafka": {"bootstrap_servers": ["audit:9092"], "properties": {"sasl.password": "hunter2"}},
                     "topics": ["audit.*", "billing"], "breaker": {"open_ms": 9000}, "spool_share": 0.25},
           "metrics": {"kafka": {"bootstrap_servers": ["metrics:9092"]}, "topics": ["metrics.*"]}
         }}
        """#)
        let compartments = try settings.compartments()
        #expect(compartments.map(\.cluster) == ["default", "audit", "metrics"])
        let (main, audit, metrics) = (compartments[0].configuration, compartments[1].configuration, compartments[2].configuration)
        #expect(main.kafka.bootstrapServers == ["main:9092"])
        #expect(audit.kafka.bootstrapServers == ["audit:9092"])
        // Its own keys win; the rest falls back to the top-level ones.
        #expect(audit.breaker.openDuration == .milliseconds(9000))
        #expect(metrics.breaker.openDuration == .milliseconds(1500))
        #expect(audit.kafka.linger == .milliseconds(7))
        #expect(audit.kafka.properties == ["security.protocol": "SSL", "sasl.password": "hunter2"])
        #expect(main.kafka.properties == ["security.protocol": "SSL"])
        // A spool file each, beside spool.path; audit claims a quarter, the rest is split evenly.
        #expect([main, audit, metrics].map(\.spool.path) == ["data/spool.db", "data/spool.audit.db", "data/spool.metrics.db"])
        #expect([main, audit, metrics].map(\.spool.maxBytes) == [402_653_184, 268_435_456, 402_653_184])
        #expect([main, audit, metrics].map(\.spool.maxRecords) == [375_000, 250_000, 375_000])
        let routes = try TopicRoutes(try settings.routes(), clusters: ["default", "audit", "metrics"])
        #expect(routes.cluster(forTopic: "billing") == "audit")
        #expect(routes.cluster(forTopic: "metrics.cpu") == "metrics")
        #expect(routes.cluster(forTopic: "page-views") == "default")
        // Credentials are never shown.
        let audits = settings.clusters.first { $0.name == "audit" }!
        let shown = Dictionary(uniqueKeysWithValues: audits.settingsShown(in: settings).map { ($0.key, $0.value) })
        #expect(shown["clusters.audit.kafka.properties.sasl.password"] == "(set)")
        #expect(shown["clusters.audit.breaker.open_ms"] == "9000")
    }

    @Test func mistakesAreRefusedNamingTheKey() async {
        let brokers = #""kafka": {"bootstrap_servers": ["a:9092"]}"#
        let cases: [(String, String)] = [
            (#"{"clusters": {"audit": {"topics": ["audit.*"]}}}"#,
             "clusters.audit.kafka.bootstrap_servers: must name this cluster's brokers"),
            (#"{"clusters": {"audit": {\#(brokers)}}}"#, "clusters.audit.topics: must list the topics"),
            (#"{"clusters": {"audit": {\#(brokers), "topics": ["audit.*"], "breaker": {"opne_ms": 5}}}}"#,
             "clusters.audit.breaker.opne_ms: unknown key in"),
            (#"{"clusters": {"audit": {\#(brokers), "topics": ["audit.*"], "http": {"port": 1}}}}"#,
             "clusters.audit.http.port: is the service's, not a cluster's"),
            (#"{"clusters": {"audit": {\#(brokers), "topics": ["audit.*"], "breaker": {"open_ms": 0}}}}"#,
             "clusters.audit.breaker.open_ms: must be between 1 and 3600000, got 0"),
            (#"{"clusters": {"audit": {\#(brokers), "topics": ["audit.*"], "breaker": {"minimum_calls": 50, "window_size": 10}}}}"#,
             "clusters.audit.breaker.minimum_calls: must be at most breaker.window_size"),
            (#"{"clusters": {"audit": {\#(brokers), "topics": ["audit.*"]}, "web": {\#(brokers), "topics": ["*.login"]}}}"#,
             "overlaps"),
            (#"{"clusters": {"Audit": {\#(brokers), "topics": ["audit.*"]}}}"#, "clusters.Audit: the cluster's name must be"),
            (#"{"clusters": {"default": {\#(brokers), "topics": ["audit.*"]}}}"#, "clusters.default: the default cluster is the one the kafka.* keys describe"),
            (#"{"clusters": {"audit": {\#(brokers), "topics": ["audit/*"]}}}"#, "clusters.audit.topics: topic pattern \"audit/*\""),
            (#"{"clusters": {"audit": {\#(brokers), "topics": ["a"], "spool_share": 0.6}, "web": {\#(brokers), "topics": ["w"], "spool_share": 0.5}}}"#,
             "leaving nothing of the spool for the default cluster"),
            (#"{"spool": {"max_bytes": 300000}, "clusters": {"audit": {\#(brokers), "topics": ["a"]}}}"#,
             "spool.max_bytes: leaves cluster default 150000 bytes of spool"),
            (#"{"clusters": {"audit": 5}}"#, "clusters.audit: must be an object of the cluster's keys"),
        ]
        for (json, expected) in cases {
            let message = await refusal(json)
            #expect(message?.contains(expected) == true, "\(json): \(message ?? "accepted")")
        }
    }

    @Test func devModeNeedsNoBrokersForAnyCluster() async throws {
        let settings = try await load(#"{"kafka": {"mock": true}, "clusters": {"audit": {"topics": ["audit.*"]}}}"#)
        #expect(try settings.compartments().map(\.cluster) == ["default", "audit"])
    }
}
