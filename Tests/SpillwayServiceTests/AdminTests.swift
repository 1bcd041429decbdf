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
    @Suite struct AdminTests {
        @Test func breakerModeChangesAndHolds() async throws {
            try await withService { harness in
                let json: HTTPFields = [.contentType: "application/json"]
                try await harness.server.adminApplication.test(.router) { admin in
                    try await admin.execute(uri: "/v1/breaker", method: .put, headers: json, body: ByteBuffer(#"{"mode": "open"}"#)) { response in
                        #expect(response.status == .ok)
                    }
                    try await harness.waitFor("forced open") { $0.breaker.mode == .forcedOpen }
                    try await harness.server.ingestApplication.test(.router) { ingest in
                        for _ in 0..<20 {
                            try await ingest.execute(uri: "/v1/topics/held", method: .post, body: ByteBuffer("x")) { response in
                                #expect(response.json()["disposition"] as? String == "spooled")
                            }
                        }
                    }
                    // The records reached the spool, and the pipeline knows the breaker keeps Kafka closed.
                    try await harness.waitFor("spooled, replay waiting") { $0.ledger.spooled == 20 && $0.replayPhase == .waiting }
                    try await admin.execute(uri: "/v1/status", method: .get) { response in
                        #expect(response.status == .ok)
                        let status = response.json()
                        let breaker = status["breaker"] as? [String: Any]
                        #expect(breaker?["mode"] as? String == "open")
                        // The state the pipeline acts on, as `spillway_breaker_state` says (issue 21 item 8).
                        #expect(breaker?["state"] as? String == "open")
                        #expect(status["imbalance"] as? Int == 0)
                        let ledger = status["ledger"] as? [String: Any]
                        #expect(ledger?["delivered"] as? Int == 0, "forced open holds with a healthy cluster")
                        #expect(ledger?["accepted"] as? Int == 20)
                    }
                    try await admin.execute(uri: "/v1/breaker", method: .put, headers: json, body: ByteBuffer(#"{"mode": "sideways"}"#)) { response in
                        #expect(response.status == .badRequest)
                        #expect((response.json()["error"] as? String)?.contains("open") == true)
                    }
                    try await admin.execute(uri: "/v1/backlog", method: .put, headers: json, body: ByteBuffer(#"{"records_per_second": 1234}"#)) { response in
                        #expect(response.status == .ok)
                        #expect(response.json()["records_per_second"] as? Double == 1234)
                    }
                    try await admin.execute(uri: "/v1/breaker", method: .put, headers: json, body: ByteBuffer(#"{"mode": "auto"}"#)) { response in
                        #expect(response.status == .ok)
                    }
                    try await harness.waitFor("replayed after auto") { $0.ledger.delivered == 20 && $0.ledger.spooled == 0 }
                    try await admin.execute(uri: "/v1/spool", method: .get) { response in
                        #expect(response.status == .ok)
                        #expect(response.json()["schema_version"] as? Int == 6)
                    }
                }
            }
        }

        @Test func tokenIsEnforcedExceptOnHealthChecks() async throws {
            try await withService(configure: { $0.adminToken = "s3cret-token-0123456789" }) { harness in
                try await harness.server.adminApplication.test(.router) { admin in
                    try await admin.execute(uri: "/v1/status", method: .get) { response in
                        #expect(response.status == .unauthorized)
                    }
                    var wrong = HTTPFields()
                    wrong[.authorization] = "Bearer nope"
                    try await admin.execute(uri: "/v1/status", method: .get, headers: wrong) { response in
                        #expect(response.status == .unauthorized)
                    }
                    var right = HTTPFields()
                    right[.authorization] = "Bearer s3cret-token-0123456789"
                    try await admin.execute(uri: "/v1/status", method: .get, headers: right) { response in
                        #expect(response.status == .ok)
                    }
                    try await admin.execute(uri: "/healthz", method: .get) { response in
                        #expect(response.status == .ok)
                    }
                }
            }
        }

        @Test func nonLoopbackAdminWithoutATokenIsRefused() throws {
            var settings = ServiceSettings()
            settings.adminHost = "0.0.0.0"
            #expect {
                try SpillwayServer(settings: settings, logger: .init(label: "test"), metrics: { "" })
            } throws: { error in
                "\(error)".contains("admin.token") && "\(error)".contains("beyond loopback")
            }
            settings.adminToken = "short"
            #expect(throws: ServiceSettingsError.self) { try settings.validate() }
            settings.adminToken = "a-long-enough-token"
            try settings.validate()
        }
    }
}

extension MockKafkaSuites {
    /// Issue 13, items 6 and 12: who may use the admin API, and what it accepts.
    @Suite struct AdminAccessTests {
        @Test func theBearerSchemeIsCaseInsensitive() async throws {
            try await withService(configure: { $0.adminToken = "s3cret-token-0123456789" }) { harness in
                try await harness.server.adminApplication.test(.router) { admin in
                    for scheme in ["bearer", "BEARER", "Bearer"] {
                        var headers = HTTPFields()
                        headers[.authorization] = "\(scheme) s3cret-token-0123456789"
                        try await admin.execute(uri: "/v1/status", method: .get, headers: headers) { response in
                            #expect(response.status == .ok, "scheme \(scheme)")
                        }
                    }
                    var basic = HTTPFields()
                    basic[.authorization] = "Basic s3cret-token-0123456789"
                    try await admin.execute(uri: "/v1/status", method: .get, headers: basic) { response in
                        #expect(response.status == .unauthorized)
                    }
                }
            }
        }

        @Test func loopbackIsDecidedByTheResolvedAddress() throws {
            var settings = ServiceSettings()
            for host in ["127.0.0.1", "127.1.2.3", "::1", "localhost"] {
                settings.adminHost = host
                #expect(throws: Never.self, "\(host) is loopback") { try settings.validate() }
            }
            // Looks like 127.x, resolves elsewhere (or nowhere): not loopback, so a token is required.
            for host in ["127.evil.example", "0.0.0.0", "::"] {
                settings.adminHost = host
                #expect {
                    try settings.validate()
                } throws: { error in
                    "\(error)".contains("admin.token") && "\(error)".contains("beyond loopback")
                }
            }
        }

        @Test func backlogRatesOutsideTheirRangeAreRefusedNamingTheField() async throws {
            try await withService { harness in
                let json: HTTPFields = [.contentType: "application/json"]
                try await harness.server.adminApplication.test(.router) { admin in
                    for body in [#"{"records_per_second": 1e300}"#, #"{"records_per_second": -5}"#, #"{"records_per_second": 0}"#] {
                        try await admin.execute(uri: "/v1/backlog", method: .put, headers: json, body: ByteBuffer(body)) { response in
                            #expect(response.status == .badRequest, "\(body)")
                            let message = response.json()["error"] as? String ?? ""
                            #expect(message.contains("records_per_second"), "\(body): \(message)")
                            #expect(!message.contains("recordsPerSecond"), "\(body): \(message)")
                        }
                    }
                    try await admin.execute(uri: "/v1/backlog", method: .put, headers: json, body: ByteBuffer(#"{"bytes_per_second": 1e300}"#)) { response in
                        #expect(response.status == .badRequest)
                        #expect((response.json()["error"] as? String)?.contains("bytes_per_second") == true)
                    }
                }
                #expect(harness.server.buffer.status().replayConfiguration.recordsPerSecond == ReplayConfiguration().recordsPerSecond, "a refused rate changes nothing")
            }
        }
    }
}
