import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Spillway
import SpillwayService
import SpillwayTestKit
import SpillwayTestTraits
import Testing

/// Which request goes where on the ingest listener, and what a request no route
/// takes is answered, through Hummingbird's router alone: no server, no Kafka.
/// The pipeline is built but never run, so taken records just sit in memory.
@Suite(.heavyLane) struct IngestRouteTests {
    /// Runs `body` against the ingest router of a server whose pipeline never runs.
    static func withIngestRouter(
        _ configure: (inout ServiceSettings) -> Void = { _ in },
        _ body: @Sendable (any TestClientProtocol, SpillwayBuffer) async throws -> Void
    ) async throws {
        let directory = TemporaryDirectory("spillway-routes")
        defer { directory.remove() }
        var settings = ServiceSettings()
        // Never contacted: the pipeline does not run.
        settings.pipeline.kafka.bootstrapServers = ["127.0.0.1:1"]
        settings.pipeline.kafka.properties["log_level"] = "0"
        settings.pipeline.spool.path = directory.file("spool.db")
        configure(&settings)
        var logger = Logger(label: "spillway-route-test")
        logger.logLevel = .critical
        let server = try SpillwayServer(settings: settings, logger: logger, metrics: { "" })
        let buffer = server.buffer
        try await server.ingestApplication.test(.router) { client in
            try await body(client, buffer)
        }
    }

    static let restJSON: HTTPFields = [.contentType: "application/vnd.kafka.json.v2+json"]
    static let json: HTTPFields = [.contentType: "application/json"]

    // MARK: Which route takes which path

    @Test func eachEndpointAnswersInItsOwnShape() async throws {
        try await Self.withIngestRouter { client, buffer in
            try await client.execute(uri: "/v1/topics/clicks", method: .post, body: ByteBuffer("one value")) { response in
                #expect(response.status == .accepted)
                #expect(response.text == #"{"disposition":"queued"}"#)
                #expect(response.headers[.contentType] == "application/json")
            }
            try await client.execute(uri: "/v1/topics/clicks/records", method: .post, headers: Self.json, body: ByteBuffer(#"[{"value":"a"},{"value":"b"}]"#)) { response in
                #expect(response.status == .accepted)
                #expect(response.text == #"{"accepted":2,"dropped":0,"queued":2,"rejected":0,"rejections":[],"spooled":0}"#)
            }
            try await client.execute(uri: "/topics/clicks", method: .post, headers: Self.restJSON, body: ByteBuffer(#"{"records":[{"value":{"a":1}}]}"#)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/vnd.kafka.v2+json")
                #expect(response.text == #"{"key_schema_id":null,"offsets":[{"error":null,"error_code":null,"offset":null,"partition":null}],"value_schema_id":null}"#)
            }
            #expect(buffer.status().ledger.accepted == 4)
            #expect(buffer.status().ledger.queued == 4)
        }
    }

    /// A topic segment that is itself `records` is a topic, not the batch endpoint.
    @Test func aTopicNamedRecordsIsATopic() async throws {
        try await Self.withIngestRouter { client, buffer in
            try await client.execute(uri: "/v1/topics/records", method: .post, body: ByteBuffer("x")) { response in
                #expect(response.status == .accepted)
                #expect(response.text == #"{"disposition":"queued"}"#)
            }
            try await client.execute(uri: "/v1/topics/records/records", method: .post, headers: Self.json, body: ByteBuffer(#"{"value":"y"}"#)) { response in
                #expect(response.status == .accepted)
                #expect(response.json()["accepted"] as? Int == 1)
            }
            #expect(buffer.status().ledger.accepted == 2)
        }
    }

    @Test func healthChecksAreServedAndReadinessWaitsForThePipeline() async throws {
        try await Self.withIngestRouter { client, _ in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text == #"{"status":"alive"}"#)
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.text == #"{"status":"not running"}"#)
            }
        }
    }

    // MARK: What no route takes

    @Test(arguments: [
        ("/v1/topics/clicks", HTTPRequest.Method.get, "POST"),
        ("/v1/topics/clicks", .put, "POST"),
        ("/v1/topics/clicks/records", .get, "POST"),
        ("/v1/topics/clicks/records", .delete, "POST"),
        ("/topics/clicks", .get, "POST"),
        ("/healthz", .post, "GET"),
        ("/readyz", .delete, "GET"),
    ])
    func aKnownPathWithAnotherMethodIs405WithAllow(path: String, method: HTTPRequest.Method, allowed: String) async throws {
        try await Self.withIngestRouter { client, buffer in
            try await client.execute(uri: path, method: method, body: ByteBuffer("x")) { response in
                #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                #expect(response.headers[.allow] == allowed)
                #expect(response.json()["error"] as? String == "\(method.rawValue) is not served at \(path); use \(allowed)")
            }
            #expect(buffer.status().ledger.accepted == 0)
        }
    }

    @Test(arguments: ["/", "/v1", "/v1/topics", "/v1/topic/clicks", "/v2/topics/clicks", "/v1/topics/a/b/c", "/topics/a/records", "/metrics", "/v1/status"])
    func anUnknownPathIs404NamingWhatIsServed(path: String) async throws {
        try await Self.withIngestRouter { client, _ in
            try await client.execute(uri: path, method: .post, body: ByteBuffer("x")) { response in
                #expect(response.status == .notFound, "\(path)")
                let message = response.json()["error"] as? String ?? ""
                #expect(message == "nothing is served at \(path); this listener serves POST /v1/topics/:topic, POST /v1/topics/:topic/records, POST /topics/:topic, GET /healthz, GET /readyz", "\(path)")
            }
        }
    }

    /// An empty topic segment is an empty topic, refused as such; never a
    /// neighbouring route's topic (`/v1/topics//records` is not topic "records").
    @Test(arguments: ["/v1/topics/", "/v1/topics//records", "/topics/"])
    func anEmptyTopicSegmentIs422(path: String) async throws {
        try await Self.withIngestRouter { client, buffer in
            try await client.execute(uri: path, method: .post, headers: Self.json, body: ByteBuffer(#"{"value":"x"}"#)) { response in
                #expect(response.status == .unprocessableContent, "\(path): \(response.text)")
                #expect(response.text.contains(#"invalid topic name \"\": it is empty"#), "\(path): \(response.text)")
            }
            #expect(buffer.status().ledger.accepted == 0)
        }
    }

    // MARK: Refusals keep each route's error shape

    @Test func nativeRoutesRefuseWithAnErrorObject() async throws {
        try await Self.withIngestRouter({ $0.topicAllowlist = ["allowed"] }) { client, buffer in
            try await client.execute(uri: "/v1/topics/bad%20topic", method: .post, body: ByteBuffer("x")) { response in
                #expect(response.status == .unprocessableContent)
                #expect(response.text == #"{"error":"invalid topic name \"bad%20topic\": only letters, digits, '.', '_' and '-' are allowed"}"#)
            }
            try await client.execute(uri: "/v1/topics/other", method: .post, body: ByteBuffer("x")) { response in
                #expect(response.status == .forbidden)
                #expect(response.text == #"{"error":"topic \"other\" is not in this Spillway's allowlist"}"#)
            }
            try await client.execute(uri: "/v1/topics/allowed/records", method: .post, headers: [.contentType: "text/plain"], body: ByteBuffer("x")) { response in
                #expect(response.status == .unsupportedMediaType)
                #expect(response.text == #"{"error":"content type \"text/plain\" is not supported here; use application/json, application/x-ndjson"}"#)
            }
            try await client.execute(uri: "/v1/topics/allowed/records", method: .post, headers: Self.json, body: ByteBuffer(#"[{"value":"v","partiton":1}]"#)) { response in
                #expect(response.status == .badRequest)
                #expect((response.json()["error"] as? String)?.hasPrefix(#"[0]: unknown field "partiton""#) == true, "\(response.text)")
            }
            try await client.execute(uri: "/v1/topics/allowed/records", method: .post, headers: Self.json, body: ByteBuffer(#"[{"value":"%","value_encoding":"base64"}]"#)) { response in
                #expect(response.status == .unprocessableContent, "every record rejected")
                #expect(response.json()["rejected"] as? Int == 1)
            }
            #expect(buffer.status().ledger.accepted == 0)
            #expect(buffer.status().ledger.rejected == ["invalid_topic": 1, "topic_not_allowed": 1, "malformed_record": 2])
        }
    }

    @Test func restProxyRoutesRefuseInRESTProxysShape() async throws {
        try await Self.withIngestRouter({ $0.topicAllowlist = ["allowed"] }) { client, _ in
            func expectRESTError(_ response: TestResponse, _ status: HTTPResponse.Status, _ code: Int, sourceLocation: SourceLocation = #_sourceLocation) {
                #expect(response.status == status, sourceLocation: sourceLocation)
                #expect(response.headers[.contentType] == "application/vnd.kafka.v2+json", sourceLocation: sourceLocation)
                let body = response.json(sourceLocation: sourceLocation)
                #expect(Set(body.keys) == ["error_code", "message"], sourceLocation: sourceLocation)
                #expect(body["error_code"] as? Int == code, "\(response.text)", sourceLocation: sourceLocation)
            }
            try await client.execute(uri: "/topics/allowed", method: .post, body: ByteBuffer("{}")) { response in
                expectRESTError(response, .unsupportedMediaType, 41501)
            }
            try await client.execute(uri: "/topics/other", method: .post, headers: Self.restJSON, body: ByteBuffer(#"{"records":[{"value":1}]}"#)) { response in
                expectRESTError(response, .forbidden, 40301)
            }
            try await client.execute(uri: "/topics/bad%20topic", method: .post, headers: Self.restJSON, body: ByteBuffer(#"{"records":[{"value":1}]}"#)) { response in
                expectRESTError(response, .unprocessableContent, 42201)
            }
            try await client.execute(uri: "/topics/allowed", method: .post, headers: Self.restJSON, body: ByteBuffer(#"{"records":[]}"#)) { response in
                expectRESTError(response, .badRequest, 40001)
                #expect(response.json()["message"] as? String == #""records" is empty"#)
            }
        }
    }

    /// README: `malformed_record` counts each batch item that cannot be decoded,
    /// and a request refused as a whole once, whichever route refused it.
    @Test func aRequestRefusedAsAWholeCountsOnceAsMalformed() async throws {
        try await Self.withIngestRouter { client, buffer in
            try await client.execute(uri: "/v1/topics/t/records", method: .post, headers: Self.json, body: ByteBuffer(#"[{"value":"a"},{"value":"b"},{"value":"c","oops":1}]"#)) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/topics/t", method: .post, headers: Self.restJSON, body: ByteBuffer(#"{"records":[{"value":1},{"value":2}],"records":[]}"#)) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/v1/topics/t", method: .post, headers: [HTTPField.Name("X-Spillway-Key")!: "a\u{FFFD}"], body: ByteBuffer("x")) { response in
                #expect(response.status == .badRequest)
            }
            #expect(buffer.status().ledger.rejected["malformed_record"] == 3)
            // Items of a batch that is otherwise taken count one each.
            try await client.execute(uri: "/v1/topics/t/records", method: .post, headers: Self.json, body: ByteBuffer(#"[{"value":"%","value_encoding":"base64"},{"value":"ok"},{"value":"Q","value_encoding":"base64"}]"#)) { response in
                #expect(response.status == .accepted)
                #expect(response.json()["rejected"] as? Int == 2)
            }
            #expect(buffer.status().ledger.rejected["malformed_record"] == 5)
            #expect(buffer.status().ledger.accepted == 1)
        }
    }

    @Test func restProxyAnswersEachRecordInItsOffset() async throws {
        try await Self.withIngestRouter { client, buffer in
            let body = #"{"records":[{"value":1e400},{"value":{"ok":true}},{"value":2,"partition":-5}]}"#
            try await client.execute(uri: "/topics/rp", method: .post, headers: Self.restJSON, body: ByteBuffer(body)) { response in
                #expect(response.status == .ok)
                let offsets = response.json()["offsets"] as? [[String: Any]] ?? []
                #expect(offsets.count == 3)
                #expect(offsets.first?["error_code"] as? Int == 42202)
                #expect((offsets.first?["error"] as? String)?.contains("1e400 is out of range") == true)
                #expect(offsets.dropFirst().first?["error_code"] is NSNull)
                #expect(offsets.last?["error_code"] as? Int == 42202)
                #expect((offsets.last?["error"] as? String)?.contains("partition -5") == true, "\(offsets)")
            }
            #expect(buffer.status().ledger.accepted == 1)
        }
    }

    @Test func aBodyOverTheLimitIs413OnEveryRoute() async throws {
        try await Self.withIngestRouter({ $0.maxBodyBytes = 16 }) { client, buffer in
            let big = ByteBuffer(String(repeating: "x", count: 17))
            try await client.execute(uri: "/v1/topics/t", method: .post, body: big) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.text == #"{"error":"request body is over the limit of 16 bytes"}"#)
            }
            try await client.execute(uri: "/v1/topics/t/records", method: .post, headers: Self.json, body: big) { response in
                #expect(response.status == .contentTooLarge)
            }
            try await client.execute(uri: "/topics/t", method: .post, headers: Self.restJSON, body: big) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.json()["error_code"] as? Int == 41301)
            }
            try await client.execute(uri: "/v1/topics/t", method: .post, body: ByteBuffer(String(repeating: "x", count: 16))) { response in
                #expect(response.status == .accepted, "exactly the limit is taken")
            }
            #expect(buffer.status().ledger.accepted == 1)
        }
    }

    @Test func theSingleRecordRouteReadsKeyAndHeadersExactlyOrRefuses() async throws {
        try await Self.withIngestRouter { client, buffer in
            let key = HTTPField.Name("X-Spillway-Key")!
            var twice = HTTPFields()
            twice.append(HTTPField(name: key, value: "a"))
            twice.append(HTTPField(name: key, value: "b"))
            try await client.execute(uri: "/v1/topics/t", method: .post, headers: twice, body: ByteBuffer("x")) { response in
                #expect(response.status == .badRequest)
                #expect(response.json()["error"] as? String == "X-Spillway-Key is given twice; a record has one key")
            }
            try await client.execute(uri: "/v1/topics/t", method: .post, headers: [HTTPField.Name("X-Spillway-Header-")!: "v"], body: ByteBuffer("x")) { response in
                #expect(response.status == .badRequest)
                #expect((response.json()["error"] as? String)?.contains("names no Kafka header") == true)
            }
            try await client.execute(uri: "/v1/topics/t", method: .post, headers: [key: "a\u{FFFD}b"], body: ByteBuffer("x")) { response in
                #expect(response.status == .badRequest)
                #expect((response.json()["error"] as? String)?.contains("not UTF-8") == true)
            }
            #expect(buffer.status().ledger.accepted == 0)
        }
    }
}
