import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Spillway
import SpillwayService
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    /// A service with two clusters: every entry point routes by topic, and every
    /// control acts on the cluster it names, or on all of them and says so.
    @Suite struct MultiClusterServiceTests {
        @Test func requestsGoToTheirTopicsClusterAndControlsToTheClusterTheyName() async throws {
            try await Self.withTwoClusters { server, router, main, audit in
                let kafka: HTTPFields = [HTTPField.Name("X-Spillway-Ack")!: "kafka"]
                let json: HTTPFields = [.contentType: "application/json"]

                try await server.ingestApplication.test(.router) { ingest in
                    for topic in ["audit.login", "events"] {
                        try await ingest.execute(uri: "/v1/topics/\(topic)", method: .post, headers: kafka, body: ByteBuffer("to-\(topic)")) { response in
                            #expect(response.json()["reached"] as? String == "kafka", "\(topic): \(response.text)")
                        }
                    }
                    try await ingest.execute(uri: "/v1/topics/audit.login/records", method: .post, headers: kafka, body: ByteBuffer(#"[{"value": "batched"}]"#)) { response in
                        #expect(response.json()["delivered"] as? Int == 1, "\(response.text)")
                    }
                }
                let auditValues = try await KafkaTopicReader.read(bootstrapServers: audit.bootstrapServers, topic: "audit.login").map { String(decoding: $0.value ?? [], as: UTF8.self) }
                let mainValues = try await KafkaTopicReader.read(bootstrapServers: main.bootstrapServers, topic: "events").map { String(decoding: $0.value ?? [], as: UTF8.self) }
                #expect(auditValues.sorted() == ["batched", "to-audit.login"])
                #expect(mainValues == ["to-events"])

                try await server.adminApplication.test(.router) { admin in
                    try await admin.execute(uri: "/v1/breaker", method: .put, headers: json, body: ByteBuffer(#"{"mode": "open", "cluster": "audit"}"#)) { response in
                        #expect(response.status == .ok)
                        #expect(response.json()["clusters"] as? [String] == ["audit"])
                    }
                    try await admin.execute(uri: "/v1/breaker", method: .put, headers: json, body: ByteBuffer(#"{"mode": "open", "cluster": "audti"}"#)) { response in
                        #expect(response.status == .badRequest)
                        #expect(response.json()["error"] as? String == #"no cluster named "audti" (clusters: default, audit)"#)
                    }
                    // The mode takes effect on the compartment's own thread, within milliseconds: awaited.
                    _ = try await router.buffer(cluster: "audit")!.waitFor("audit forced open") { $0.breaker.mode == .forcedOpen }
                    #expect(router.buffer(cluster: "default")?.status().breaker.mode == .auto)
                    try await server.ingestApplication.test(.router) { ingest in
                        try await ingest.execute(uri: "/v1/topics/audit.x", method: .post, body: ByteBuffer("held")) { response in
                            #expect(response.json()["disposition"] as? String == "spooled")
                        }
                        try await ingest.execute(uri: "/v1/topics/events", method: .post, body: ByteBuffer("flows")) { response in
                            #expect(response.json()["disposition"] as? String == "queued")
                        }
                    }
                    try await admin.execute(uri: "/v1/backlog", method: .put, headers: json, body: ByteBuffer(#"{"paused": true}"#)) { response in
                        #expect(response.json()["clusters"] as? [String] == ["default", "audit"])
                    }
                    #expect(router.compartments.allSatisfy { $0.buffer.status().replayPaused })
                    try await admin.execute(uri: "/v1/status", method: .get) { response in
                        let status = response.json()
                        let clusters = status["clusters"] as? [[String: Any]] ?? []
                        #expect(clusters.map { $0["cluster"] as? String } == ["default", "audit"])
                        #expect(clusters.last?["topics"] as? [String] == ["audit.*"])
                        #expect((clusters.last?["breaker"] as? [String: Any])?["mode"] as? String == "open")
                        #expect((status["breaker"] as? [String: Any])?["mode"] as? String == "auto", "the top level is the default cluster's")
                        #expect(((clusters.last?["ledger"] as? [String: Any])?["accepted"] as? Int) == 3)
                    }
                    try await admin.execute(uri: "/readyz", method: .get) { response in
                        #expect(response.status == .ok)
                    }
                }
                return {
                    #expect(router.buffer(cluster: "audit")?.status().ledger.spooled == 1)
                }
            }
        }

        /// Runs a `ServiceHarness` whose `default` cluster is its mock cluster and whose
        /// `audit` cluster (topics `audit.*`) is another; `body` may return a check to
        /// make once the service has stopped. Every compartment's ledger must balance.
        static func withTwoClusters(
            _ body: (SpillwayServer, SpillwayRouter, _ main: MockKafkaCluster, _ audit: MockKafkaCluster) async throws -> (() -> Void)
        ) async throws {
            let audit = try MockKafkaCluster()
            var auditCluster = ClusterSettings(name: "audit")
            auditCluster.topics = ["audit.*"]
            auditCluster.keys = [(SettingsKeys.kafkaBootstrapServers, .strings([audit.bootstrapServers]))]
            var router: SpillwayRouter?
            let afterwards = try await withService(configure: { $0.clusters = [auditCluster] }) { harness in
                router = harness.server.router
                return try await body(harness.server, harness.server.router, harness.cluster, audit)
            }
            for (cluster, buffer) in router?.compartments ?? [] {
                #expect(buffer.status().ledger.imbalance == 0, "\(cluster)")
            }
            afterwards()
        }

        /// Kafka producers through the listener: each topic's partitions are its own
        /// cluster's (a partition only the audit cluster has is taken), and its records go there.
        @Test func theKafkaListenerAnswersAndRoutesEachTopicFromItsOwnCluster() async throws {
            try await Self.withTwoClusters { server, router, main, audit in
                try audit.createTopic("audit.login", partitions: 7)
                try main.createTopic("events", partitions: 1)
                try await withKafkaListener(settings: server.settings, router: router) { bootstrap in
                    let audited = (0..<10).map { ProducedRecord(value: Array("audit-\($0)".utf8), partition: 6) }
                    let events = (0..<10).map { ProducedRecord(value: Array("event-\($0)".utf8)) }
                    let auditReports = try await KafkaTestProducer.produce(audited, to: "audit.login", bootstrapServers: bootstrap, properties: ["acks": "all"])
                    let eventReports = try await KafkaTestProducer.produce(events, to: "events", bootstrapServers: bootstrap, properties: ["acks": "all"])
                    #expect(auditReports.allSatisfy { $0.error == nil && $0.partition == 6 }, "\(auditReports)")
                    #expect(eventReports.allSatisfy { $0.error == nil }, "\(eventReports)")
                    let auditRead = try await KafkaTopicReader.read(bootstrapServers: audit.bootstrapServers, topic: "audit.login")
                    let eventRead = try await KafkaTopicReader.read(bootstrapServers: main.bootstrapServers, topic: "events")
                    #expect(Set(auditRead.map { String(decoding: $0.value ?? [], as: UTF8.self) }) == Set((0..<10).map { "audit-\($0)" }))
                    #expect(auditRead.allSatisfy { $0.partition == 6 })
                    #expect(Set(eventRead.map { String(decoding: $0.value ?? [], as: UTF8.self) }) == Set((0..<10).map { "event-\($0)" }))
                    #expect(router.buffer(cluster: "audit")?.status().ledger.delivered == 10)
                    #expect(router.buffer(cluster: "default")?.status().ledger.delivered == 10)
                }
                return {}
            }
        }
    }
}
