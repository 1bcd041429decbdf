import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Spillway
import SpillwayService
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    @Suite struct IngestTests {
        @Test func singleRecordWithKeyAndHeadersReachesKafka() async throws {
            try await withService { harness in
                try await harness.server.ingestApplication.test(.router) { client in
                    var headers = HTTPFields()
                    headers[HTTPField.Name("X-Spillway-Key")!] = "user-7"
                    headers[HTTPField.Name("X-Spillway-Header-Trace-Id")!] = "abc"
                    try await client.execute(uri: "/v1/topics/clicks", method: .post, headers: headers, body: ByteBuffer("hello kafka")) { response in
                        #expect(response.status == .accepted)
                        #expect(response.json()["disposition"] as? String != nil)
                    }
                }
                try await harness.waitFor("delivered") { $0.ledger.delivered == 1 }
                let records = try await harness.readTopic("clicks")
                #expect(records.count == 1)
                #expect(records.first?.value == Array("hello kafka".utf8))
                #expect(records.first?.key == Array("user-7".utf8))
                #expect(records.first?.headers["Trace-Id"] == Array("abc".utf8))
            }
        }

        @Test func batchesAsJSONArrayAndNDJSONCountEveryDisposition() async throws {
            try await withService { harness in
                try await harness.server.ingestApplication.test(.router) { client in
                    let array = """
                        [{"value": "one", "key": "k1"}, {"value": "dHdv", "value_encoding": "base64", "headers": {"h": "v"}},
                         {"value": "%%%", "value_encoding": "base64"}]
                        """
                    var json = HTTPFields()
                    json[.contentType] = "application/json"
                    try await client.execute(uri: "/v1/topics/batch/records", method: .post, headers: json, body: ByteBuffer(array)) { response in
                        #expect(response.status == .accepted)
                        let body = response.json()
                        #expect(body["accepted"] as? Int == 2)
                        #expect(body["rejected"] as? Int == 1)
                        let rejections = body["rejections"] as? [[String: Any]]
                        #expect(rejections?.first?["index"] as? Int == 2)
                        #expect((rejections?.first?["reason"] as? String)?.contains("base64") == true)
                    }
                    var ndjson = HTTPFields()
                    ndjson[.contentType] = "application/x-ndjson"
                    try await client.execute(uri: "/v1/topics/batch/records", method: .post, headers: ndjson, body: ByteBuffer("{\"value\":\"three\"}\n\n{\"value\":\"four\"}\n")) { response in
                        #expect(response.status == .accepted)
                        #expect(response.json()["accepted"] as? Int == 2)
                    }
                }
                try await harness.waitFor("delivered") { $0.ledger.delivered == 4 }
                let values = Set(try await harness.readTopic("batch").map { String(decoding: $0.value ?? [], as: UTF8.self) })
                #expect(values == ["one", "two", "three", "four"])
            }
        }

        @Test func restProxyV2JSONAndBinaryKeepTheirShapes() async throws {
            try await withService { harness in
                try await harness.server.ingestApplication.test(.router) { client in
                    var json = HTTPFields()
                    json[.contentType] = "application/vnd.kafka.json.v2+json"
                    json[.accept] = "application/vnd.kafka.v2+json"
                    let body = #"{"records":[{"key":"somekey","value":{"foo":"bar"}},{"value":53.5},{"value":[1,2],"partition":0}]}"#
                    try await client.execute(uri: "/topics/rest", method: .post, headers: json, body: ByteBuffer(body)) { response in
                        #expect(response.status == .ok)
                        #expect(response.headers[.contentType] == "application/vnd.kafka.v2+json")
                        let document = response.json()
                        #expect(document.keys.sorted() == ["key_schema_id", "offsets", "value_schema_id"])
                        #expect(document["key_schema_id"] is NSNull)
                        let offsets = try #require(document["offsets"] as? [[String: Any]])
                        #expect(offsets.count == 3)
                        // Delivery is asynchronous: no partition or offset yet, and no error.
                        for offset in offsets {
                            #expect(offset["partition"] is NSNull && offset["offset"] is NSNull && offset["error_code"] is NSNull && offset["error"] is NSNull)
                        }
                    }
                    var binary = HTTPFields()
                    binary[.contentType] = "application/vnd.kafka.binary.v2+json"
                    let encoded = #"{"records":[{"key":"a2V5","value":"AAEC/w=="},{"value":"not base64!"}]}"#
                    try await client.execute(uri: "/topics/rest", method: .post, headers: binary, body: ByteBuffer(encoded)) { response in
                        #expect(response.status == .ok)
                        let offsets = try #require(response.json()["offsets"] as? [[String: Any]])
                        #expect(offsets[0]["error_code"] is NSNull)
                        #expect(offsets[1]["error_code"] as? Int == 42202)
                        #expect((offsets[1]["error"] as? String)?.contains("base64") == true)
                    }
                }
                try await harness.waitFor("delivered") { $0.ledger.delivered == 4 }
                let records = try await harness.readTopic("rest")
                let values = Set(records.map(\.value))
                #expect(values.contains(Array(#"{"foo":"bar"}"#.utf8)))
                #expect(values.contains(Array("53.5".utf8)))
                #expect(values.contains(Array("[1,2]".utf8)))
                #expect(values.contains([0, 1, 2, 255]))
                #expect(records.contains { $0.key == Array(#""somekey""#.utf8) })
                #expect(records.contains { $0.key == Array("key".utf8) })
            }
        }

        @Test func badInputGetsAClearErrorAndDisturbsNothing() async throws {
            try await withService(configure: { settings in
                settings.maxBodyBytes = 1000
                settings.topicAllowlist = ["allowed", "other"]
            }) { harness in
                try await harness.server.ingestApplication.test(.router) { client in
                    var json = HTTPFields()
                    json[.contentType] = "application/json"
                    try await client.execute(uri: "/v1/topics/bad%20topic", method: .post, body: ByteBuffer("x")) { response in
                        #expect(response.status == .unprocessableContent)
                        #expect((response.json()["error"] as? String)?.contains("invalid topic name") == true)
                    }
                    try await client.execute(uri: "/v1/topics/secret", method: .post, body: ByteBuffer("x")) { response in
                        #expect(response.status == .forbidden)
                        #expect((response.json()["error"] as? String)?.contains("allowlist") == true)
                    }
                    var nameless = HTTPFields()
                    nameless[HTTPField.Name("X-Spillway-Header-")!] = "v"
                    try await client.execute(uri: "/v1/topics/allowed", method: .post, headers: nameless, body: ByteBuffer("x")) { response in
                        #expect(response.status == .badRequest)
                        #expect((response.json()["error"] as? String)?.contains("names no Kafka header") == true)
                    }
                    // An empty topic segment is an empty topic, not the next segment.
                    try await client.execute(uri: "/v1/topics//records", method: .post, headers: json, body: ByteBuffer(#"[{"value": "x"}]"#)) { response in
                        #expect(response.status == .unprocessableContent)
                        #expect((response.json()["error"] as? String)?.contains("it is empty") == true)
                    }
                    try await client.execute(uri: "/v1/topics/allowed/records", method: .post, headers: json, body: ByteBuffer(#"[{"value": "a"}, {"valu": "b"}]"#)) { response in
                        #expect(response.status == .badRequest)
                        let message = response.json()["error"] as? String
                        #expect(message?.contains("value") == true && message?.contains("[1]") == true, "\(message ?? "")")
                    }
                    try await client.execute(uri: "/v1/topics/allowed/records", method: .post, headers: json, body: ByteBuffer(#"[{"value": "a"},"#)) { response in
                        #expect(response.status == .badRequest)
                        #expect((response.json()["error"] as? String)?.contains("malformed JSON") == true)
                    }
                    var ndjson = HTTPFields()
                    ndjson[.contentType] = "application/x-ndjson"
                    try await client.execute(uri: "/v1/topics/allowed/records", method: .post, headers: ndjson, body: ByteBuffer("{\"value\": \"a\"}\n\n{\"value\": 7}\n")) { response in
                        #expect(response.status == .badRequest)
                        let message = response.json()["error"] as? String
                        #expect(message?.hasPrefix("line 3: value") == true, "\(message ?? "")")
                    }
                    try await client.execute(uri: "/v1/topics/allowed", method: .post, body: ByteBuffer(String(repeating: "x", count: 2000))) { response in
                        #expect(response.status == .contentTooLarge)
                    }
                    var xml = HTTPFields()
                    xml[.contentType] = "application/xml"
                    try await client.execute(uri: "/v1/topics/allowed/records", method: .post, headers: xml, body: ByteBuffer("<a/>")) { response in
                        #expect(response.status == .unsupportedMediaType)
                    }
                    try await client.execute(uri: "/topics/allowed", method: .post, headers: xml, body: ByteBuffer("{}")) { response in
                        #expect(response.status == .unsupportedMediaType)
                        #expect(response.json()["error_code"] as? Int == 41501)
                    }
                    // And a good request still goes through.
                    try await client.execute(uri: "/v1/topics/allowed", method: .post, body: ByteBuffer("fine")) { response in
                        #expect(response.status == .accepted)
                    }
                }
                let status = try await harness.waitFor("the good record delivered") { $0.ledger.delivered == 1 }
                #expect(status.ledger.accepted == 1)
                #expect(status.ledger.droppedTotal == 0)
                // Each request refused as a whole with 400 counts once (README, Metrics): four of them above.
                #expect(status.ledger.rejected == ["invalid_topic": 2, "topic_not_allowed": 1, "malformed_record": 4])
            }
        }

        /// A request no route takes says what this listener serves, in JSON.
        @Test func unknownRoutesAndMethodsGetAnAnswerThatHelps() async throws {
            try await withService { harness in
                try await harness.server.ingestApplication.test(.router) { client in
                    try await client.execute(uri: "/v1/topics/events", method: .get) { response in
                        #expect(response.status == .methodNotAllowed)
                        #expect(response.headers[.allow] == "POST")
                        #expect((response.json()["error"] as? String)?.contains("use POST") == true)
                    }
                    try await client.execute(uri: "/v1/topics/", method: .post, body: ByteBuffer("x")) { response in
                        #expect(response.status == .unprocessableContent)
                        #expect((response.json()["error"] as? String)?.contains("it is empty") == true)
                    }
                    try await client.execute(uri: "/v2/nothing", method: .post, body: ByteBuffer("x")) { response in
                        #expect(response.status == .notFound)
                        let message = response.json()["error"] as? String
                        #expect(message?.contains("POST /v1/topics/:topic") == true, "\(message ?? "")")
                    }
                    try await client.execute(uri: "/healthz", method: .get) { response in
                        #expect(response.status == .ok)
                    }
                }
                #expect(harness.server.buffer.status().ledger.accepted == 0)
            }
        }
    }
}
