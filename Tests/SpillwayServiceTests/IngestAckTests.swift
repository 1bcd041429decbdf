import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Spillway
import SpillwayService
import SpillwayTestKit
import SpillwayTestTraits
import Testing

/// `X-Spillway-Ack` on every ingest route: the level chosen per request, what
/// each reply says, and a clear 400 for a level that does not exist.
@Suite(.heavyLane) struct IngestAckTests {
    static let ack = HTTPField.Name("X-Spillway-Ack")!

    static func headers(ack level: String?, contentType: String? = nil) -> HTTPFields {
        var headers = HTTPFields()
        if let level { headers[ack] = level }
        if let contentType { headers[.contentType] = contentType }
        return headers
    }

    /// Sends through the memory path until Kafka has acknowledged one: from then on
    /// the delivery loop lets live records through.
    static func warmUp(_ client: some TestClientProtocol, _ harness: ServiceHarness) async throws {
        try await client.execute(uri: "/v1/topics/warm-up", method: .post, body: ByteBuffer("warm")) { _ in }
        try await harness.waitFor("warm-up delivered") { $0.ledger.delivered == 1 }
    }

    @Test func singleRecordsAnswerAtTheLevelAsked() async throws {
        try await withService { harness in
            let position = try await harness.server.ingestApplication.test(.router) { client -> (partition: Int, offset: Int)? in
                try await Self.warmUp(client, harness)
                let position = try await client.execute(uri: "/v1/topics/acked", method: .post, headers: Self.headers(ack: "kafka"), body: ByteBuffer("in kafka")) { response -> (partition: Int, offset: Int)? in
                    #expect(response.status == .ok)
                    let body = response.json()
                    #expect(body["disposition"] as? String == "delivered")
                    #expect(body["ack"] as? String == "kafka" && body["reached"] as? String == "kafka")
                    guard let partition = body["partition"] as? Int, let offset = body["offset"] as? Int else { return nil }
                    return (partition, offset)
                }
                try await client.execute(uri: "/v1/topics/acked", method: .post, headers: Self.headers(ack: " Spool "), body: ByteBuffer("on disk")) { response in
                    #expect(response.status == .accepted)
                    let body = response.json()
                    #expect(body["disposition"] as? String == "spooled" && body["reached"] as? String == "spool")
                    #expect(body["partition"] == nil && body["ack_reason"] == nil)
                }
                try await client.execute(uri: "/v1/topics/acked", method: .post, headers: Self.headers(ack: "memory"), body: ByteBuffer("in memory")) { response in
                    #expect(response.status == .accepted)
                    #expect(response.json().keys.sorted() == ["disposition"], "memory answers as it always did")
                }
                return position
            }
            let found = try #require(position, "no partition and offset in the kafka reply")
            try await harness.waitFor("all delivered") { $0.ledger.delivered == 4 }
            let records = try await harness.readTopic("acked")
            let atOffset = records.first { Int($0.partition) == found.partition && Int($0.offset) == found.offset }
            #expect(atOffset?.value == Array("in kafka".utf8), "the reply's offset holds the record")
            #expect(Set(records.map { String(decoding: $0.value ?? [], as: UTF8.self) }) == ["in kafka", "on disk", "in memory"])
            let status = harness.server.buffer.status()
            #expect(status.acks.accepted(.kafka) == 1 && status.acks.accepted(.spool) == 1)
            // The status document says it too: who asked for what, how they were answered, who waits.
            try await harness.server.adminApplication.test(.router) { admin in
                try await admin.execute(uri: "/v1/status", method: .get) { response in
                    let acks = response.json()["acks"] as? [String: Any]
                    #expect(acks?["accepted_kafka"] as? Int == 1 && acks?["accepted_spool"] as? Int == 1)
                    #expect(acks?["pending_records"] as? Int == 0)
                    let answered = acks?["answered"] as? [[String: Any]] ?? []
                    #expect(answered.contains { $0["level"] as? String == "kafka" && $0["outcome"] as? String == "delivered" && $0["count"] as? Int == 1 }, "\(answered)")
                    #expect((response.json()["spool"] as? [String: Any])?["escrow_records"] as? Int == 0)
                }
            }
        }
    }

    /// Without the header, the topic's level applies (`ack.topics`, else `ack.default`);
    /// the header always wins.
    @Test func aTopicsDefaultLevelAppliesWithoutTheHeader() async throws {
        try await withService(configure: { settings in
            settings.ackTopics = ["billing": .kafka]
            settings.ackDefault = .spool
        }) { harness in
            try await harness.server.ingestApplication.test(.router) { client in
                try await Self.warmUp(client, harness)
                try await client.execute(uri: "/v1/topics/billing", method: .post, body: ByteBuffer("b")) { response in
                    #expect(response.json()["reached"] as? String == "kafka")
                }
                try await client.execute(uri: "/v1/topics/clicks", method: .post, body: ByteBuffer("c")) { response in
                    #expect(response.json()["reached"] as? String == "spool")
                }
                try await client.execute(uri: "/v1/topics/billing", method: .post, headers: Self.headers(ack: "memory"), body: ByteBuffer("m")) { response in
                    #expect(response.json().keys.sorted() == ["disposition"])
                }
            }
        }
    }

    /// The REST Proxy v2 route gives Kafka's real partition and offset at level
    /// `kafka`, as Confluent's proxy does; a reader finds each record there.
    @Test func restProxyRepliesCarryRealOffsetsAtKafkaLevel() async throws {
        try await withService { harness in
            let positions = try await harness.server.ingestApplication.test(.router) { client -> [(partition: Int, offset: Int)] in
                try await Self.warmUp(client, harness)
                let body = #"{"records":[{"value":{"n":1}},{"value":{"n":2}},{"key":"k","value":{"n":3}}]}"#
                let headers = Self.headers(ack: "kafka", contentType: "application/vnd.kafka.json.v2+json")
                return try await client.execute(uri: "/topics/rest-acked", method: .post, headers: headers, body: ByteBuffer(body)) { response in
                    #expect(response.status == .ok)
                    let offsets = try #require(response.json()["offsets"] as? [[String: Any]])
                    #expect(offsets.count == 3)
                    return offsets.compactMap { entry -> (partition: Int, offset: Int)? in
                        #expect(entry["error_code"] is NSNull && entry["error"] is NSNull, "\(entry)")
                        guard let partition = entry["partition"] as? Int, let offset = entry["offset"] as? Int else { return nil }
                        return (partition, offset)
                    }
                }
            }
            #expect(positions.count == 3, "every record has a partition and an offset")
            try await harness.waitFor("delivered") { $0.ledger.delivered == 4 }
            let records = try await harness.readTopic("rest-acked")
            for (index, position) in positions.enumerated() {
                let record = records.first { Int($0.partition) == position.partition && Int($0.offset) == position.offset }
                #expect(record?.value == Array(#"{"n":\#(index + 1)}"#.utf8), "record \(index) at \(position)")
            }
        }
    }

    /// At level `kafka`, a REST Proxy record Kafka has not confirmed when answered
    /// says so in `error_code` and `error` (issue 21, item 9), as the native routes
    /// say `ack_reason`: never every field null, which reads as an answer at `memory`.
    /// Here the breaker is forced open, so Kafka takes nothing and each record is
    /// committed to the spool instead (`ack_kafka_unavailable`).
    @Test func restProxyRecordsKafkaCouldNotTakeSaySoPerOffset() async throws {
        // Answered once each record is committed, however slow the disk: no deadline comes first.
        try await withService(configure: { $0.pipeline.ack.timeout = .seconds(600) }) { harness in
            harness.server.buffer.setBreakerMode(.forcedOpen)
            try await harness.server.ingestApplication.test(.router) { client in
                let headers = Self.headers(ack: "kafka", contentType: "application/vnd.kafka.json.v2+json")
                try await client.execute(uri: "/topics/rest-open", method: .post, headers: headers, body: ByteBuffer(#"{"records":[{"value":1},{"value":2}]}"#)) { response in
                    #expect(response.status == .ok)
                    let offsets = try #require(response.json()["offsets"] as? [[String: Any]])
                    #expect(offsets.count == 2)
                    for entry in offsets {
                        #expect(entry["error_code"] as? Int == 20201, "\(entry)")
                        #expect((entry["error"] as? String)?.contains("ack_kafka_unavailable") == true, "\(entry)")
                        #expect(entry["partition"] is NSNull && entry["offset"] is NSNull, "\(entry)")
                    }
                }
                // At `memory` nothing was asked of Kafka: the same records answer with every field null, as before.
                let memory = Self.headers(ack: "memory", contentType: "application/vnd.kafka.json.v2+json")
                try await client.execute(uri: "/topics/rest-open", method: .post, headers: memory, body: ByteBuffer(#"{"records":[{"value":3}]}"#)) { response in
                    let offsets = try #require(response.json()["offsets"] as? [[String: Any]])
                    #expect(offsets.allSatisfy { $0["error_code"] is NSNull && $0["error"] is NSNull }, "\(offsets)")
                }
            }
            #expect(harness.server.buffer.status().acks.answered(.kafka, reason: .kafkaUnavailable) == 2)
        }
    }

    /// Past `ack.timeout_ms` with Kafka hung, each REST Proxy record answered at
    /// level `kafka` carries `ack_timeout` and a code saying where it is: 20201
    /// (committed to the spool) or 50003 (still only in memory). Which of the two is
    /// a race between the disk and the pipeline's timer, so both are allowed; null
    /// is not. The hang lasts until the test ends it, and librdkafka's message
    /// timeout is longer than the test, so only the acknowledgement timer answers.
    @Test func restProxyRecordsPastTheAckTimeoutSaySoPerOffset() async throws {
        try await withService(configure: { settings in
            settings.pipeline.ack.timeout = .milliseconds(300)
            settings.pipeline.kafka.messageTimeout = .seconds(600)
        }) { harness in
            harness.server.buffer.setBreakerMode(.forcedClosed)
            try await harness.server.ingestApplication.test(.router) { client in
                try await Self.warmUp(client, harness)
                harness.cluster.setRoundTripTime(milliseconds: 600_000)
                let headers = Self.headers(ack: "kafka", contentType: "application/vnd.kafka.json.v2+json")
                try await client.execute(uri: "/topics/rest-hung", method: .post, headers: headers, body: ByteBuffer(#"{"records":[{"value":1},{"value":2}]}"#)) { response in
                    #expect(response.status == .ok)
                    let offsets = try #require(response.json()["offsets"] as? [[String: Any]])
                    #expect(offsets.count == 2)
                    for entry in offsets {
                        #expect([20201, 50003].contains(entry["error_code"] as? Int), "\(entry)")
                        #expect((entry["error"] as? String)?.contains("ack_timeout") == true, "\(entry)")
                        #expect(entry["partition"] is NSNull && entry["offset"] is NSNull, "\(entry)")
                    }
                }
                harness.cluster.setRoundTripTime(milliseconds: 0)
            }
            try await harness.waitFor("delivered after the hang", timeout: .seconds(60)) { $0.ledger.delivered == 3 && $0.spool.escrowCount == 0 }
        }
    }

    /// A batch at a level answers each record in order beside the usual counts.
    @Test func nativeBatchesListEachRecordsAnswerAtALevel() async throws {
        try await withService { harness in
            try await harness.server.ingestApplication.test(.router) { client in
                try await Self.warmUp(client, harness)
                let headers = Self.headers(ack: "kafka", contentType: "application/x-ndjson")
                try await client.execute(uri: "/v1/topics/batch-acked/records", method: .post, headers: headers, body: ByteBuffer("{\"value\":\"a\"}\n{\"value\":\"b\"}\n")) { response in
                    #expect(response.status == .accepted)
                    let body = response.json()
                    #expect(body["ack"] as? String == "kafka")
                    #expect(body["accepted"] as? Int == 2 && body["delivered"] as? Int == 2)
                    let results = try #require(body["results"] as? [[String: Any]])
                    #expect(results.map { $0["disposition"] as? String } == ["delivered", "delivered"])
                    #expect(results.allSatisfy { $0["offset"] is Int && $0["partition"] is Int })
                }
                try await client.execute(uri: "/v1/topics/batch-acked/records", method: .post, headers: Self.headers(ack: nil, contentType: "application/x-ndjson"), body: ByteBuffer("{\"value\":\"c\"}\n")) { response in
                    let body = response.json()
                    #expect(body["results"] == nil && body["ack"] == nil && body["delivered"] == nil, "a memory batch answers as it always did")
                }
            }
        }
    }

    /// The batch reply is written by hand: reasons quoting the client's own text
    /// (a quote, a backslash) still make valid JSON, at every level.
    @Test func batchRepliesStayValidJSONWhateverTheReasonsHold() async throws {
        try await withService { harness in
            try await harness.server.ingestApplication.test(.router) { client in
                let body = #"[{"value":"ok"},{"value":"a\"bc","value_encoding":"base64"},{"value":"a\\bc","value_encoding":"base64"}]"#
                for level in [nil, "spool"] {
                    try await client.execute(uri: "/v1/topics/reasons/records", method: .post, headers: Self.headers(ack: level, contentType: "application/json"), body: ByteBuffer(body)) { response in
                        #expect(response.status == .accepted)
                        let reply = response.json()
                        let reasons = (reply["rejections"] as? [[String: Any]])?.compactMap { $0["reason"] as? String } ?? []
                        #expect(reasons.count == 2, "\(response.text)")
                        #expect(reasons.first?.contains(#"'"'"#) == true && reasons.last?.contains(#"'\'"#) == true, "\(reasons)")
                        #expect(reply["accepted"] as? Int == 1)
                        if level != nil { #expect((reply["results"] as? [Any])?.last is NSNull, "a rejected record has no answer") }
                    }
                }
            }
        }
    }

    /// A level that does not exist, or two levels, is a clear 400 on every route,
    /// and nothing of the request is taken.
    @Test func anInvalidLevelIsRefusedWithAClearMessage() async throws {
        try await withService { harness in
            try await harness.server.ingestApplication.test(.router) { client in
                try await client.execute(uri: "/v1/topics/t", method: .post, headers: Self.headers(ack: "disk"), body: ByteBuffer("x")) { response in
                    #expect(response.status == .badRequest)
                    let message = response.json()["error"] as? String
                    #expect(message == "X-Spillway-Ack must be one of memory, spool, kafka, not \"disk\"", "\(message ?? "")")
                }
                var twice = Self.headers(ack: "spool")
                twice.append(HTTPField(name: Self.ack, value: "kafka"))
                try await client.execute(uri: "/v1/topics/t", method: .post, headers: twice, body: ByteBuffer("x")) { response in
                    #expect(response.status == .badRequest)
                    #expect((response.json()["error"] as? String)?.contains("given 2 times") == true)
                }
                try await client.execute(uri: "/v1/topics/t/records", method: .post, headers: Self.headers(ack: "all", contentType: "application/json"), body: ByteBuffer(#"[{"value":"x"}]"#)) { response in
                    #expect(response.status == .badRequest)
                }
                let restProxy = Self.headers(ack: "1", contentType: "application/vnd.kafka.json.v2+json")
                try await client.execute(uri: "/topics/t", method: .post, headers: restProxy, body: ByteBuffer(#"{"records":[{"value":1}]}"#)) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.json()["error_code"] as? Int == 40001)
                    #expect((response.json()["message"] as? String)?.contains("memory, spool, kafka") == true)
                }
            }
            #expect(harness.server.buffer.status().ledger.accepted == 0)
        }
    }
}
