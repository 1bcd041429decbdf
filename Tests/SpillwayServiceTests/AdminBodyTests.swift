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
    /// Issue 21 item 7: admin bodies are refused as the configuration file refuses
    /// them: a field given twice, an unknown field, a number out of range, each
    /// with a 400 `{"error"}` naming the field, and nothing changed.
    @Suite struct AdminBodyTests {
        /// A body, the route it goes to, and the field its refusal must name.
        struct Refused: CustomTestStringConvertible, Sendable {
            var route: String
            var body: String
            var names: String
            var testDescription: String { "\(route) \(body)" }
        }

        static let refused: [Refused] = [
            Refused(route: "/v1/breaker", body: #"{"mode":"auto","mode":"open"}"#, names: "\"mode\" is given twice"),
            Refused(route: "/v1/breaker", body: #"{"mode":"open","mode":"open"}"#, names: "\"mode\" is given twice"),
            Refused(route: "/v1/breaker", body: #"{"mode":"open","force":true}"#, names: "unknown field \"force\""),
            Refused(route: "/v1/breaker", body: #"{"Mode":"open"}"#, names: "unknown field \"Mode\""),
            Refused(route: "/v1/breaker", body: #"["open"]"#, names: "expected a JSON object"),
            Refused(route: "/v1/backlog", body: #"{"records_per_second":100,"records_per_second":1e300}"#, names: "\"records_per_second\" is given twice"),
            Refused(route: "/v1/backlog", body: #"{"paused":true,"paused":false}"#, names: "\"paused\" is given twice"),
            Refused(route: "/v1/backlog", body: #"{"records_per_second":100,"rate":5}"#, names: "unknown field \"rate\""),
            Refused(route: "/v1/backlog", body: #"{"recordsPerSecond":100}"#, names: "unknown field \"recordsPerSecond\""),
            Refused(route: "/v1/backlog", body: #"{"records_per_second":1e400}"#, names: "records_per_second must be a finite number"),
            Refused(route: "/v1/backlog", body: #"{"min_records_per_second":-1}"#, names: "min_records_per_second must be between"),
            Refused(route: "/v1/backlog", body: #"{"bytes_per_second":-1e308}"#, names: "bytes_per_second must be between"),
            Refused(route: "/v1/backlog", body: #"{"records_per_second":100,}"#, names: "malformed JSON at line 1"),
        ]

        @Test func refusedBodiesNameTheFieldAndChangeNothing() async throws {
            try await withService { harness in
                let json: HTTPFields = [.contentType: "application/json"]
                let before = harness.server.buffer.status()
                try await harness.server.adminApplication.test(.router) { admin in
                    for refusal in Self.refused {
                        try await admin.execute(uri: refusal.route, method: .put, headers: json, body: ByteBuffer(string: refusal.body)) { response in
                            #expect(response.status == .badRequest, "\(refusal.body)")
                            let document = response.json()
                            #expect(Array(document.keys) == ["error"], "\(refusal.body): \(document)")
                            let message = document["error"] as? String ?? ""
                            #expect(message.contains(refusal.names), "\(refusal.body): \(message)")
                        }
                    }
                    // The well-formed bodies still work.
                    try await admin.execute(uri: "/v1/backlog", method: .put, headers: json, body: ByteBuffer(string: #"{"records_per_second": 1234, "paused": null}"#)) { response in
                        #expect(response.status == .ok)
                    }
                    try await admin.execute(uri: "/v1/breaker", method: .put, headers: json, body: ByteBuffer(string: #"{ "mode" : "closed" }"#)) { response in
                        #expect(response.status == .ok)
                    }
                }
                // Modes are applied by the delivery loop in the order given: once the last
                // one shows, any refused body that had slipped through would show too.
                let after = try await harness.waitFor("forced closed") { $0.breaker.mode == .forcedClosed }
                #expect(before.breaker.mode == .auto)
                #expect(after.breaker.transitions == ["auto->forced-closed": 1], "only the well-formed breaker body took effect")
                #expect(after.replayConfiguration.recordsPerSecond == 1234, "only the well-formed backlog body took effect")
                #expect(after.replayConfiguration.bytesPerSecond == before.replayConfiguration.bytesPerSecond)
                #expect(after.replayConfiguration.minRecordsPerSecond == before.replayConfiguration.minRecordsPerSecond)
                #expect(after.replayPaused == before.replayPaused)
            }
        }
    }
}
