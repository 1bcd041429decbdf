import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Spillway
import SpillwayAdminContract
import SpillwayService
import Testing

extension MockKafkaSuites {
    /// Issue 9: the admin API's documents are one set of types, encoded by the
    /// service and decoded by the CLI; the wire keeps its names; a client reads a
    /// service of another version.
    @Suite struct AdminContractTests {
        /// A status with every field of the contract's own sections away from its default.
        static func populated() -> AdminStatus {
            var status = AdminStatus()
            status.running = true
            status.breaker.mode = .forcedOpen
            status.breaker.state = .halfOpen
            status.breaker.windowCalls = 17
            status.breaker.failureRate = 0.25
            status.breaker.slowRate = 0.125
            status.breaker.consecutiveOpenings = 3
            status.breaker.lastTransition = "closed->open"
            status.breaker.lastReason = "failure rate 100% over the last 20 calls reached 50%"
            status.breaker.nextProbeInSeconds = 4.2
            status.breaker.lastProbeFailure = "timed out"
            status.breaker.transitions = ["closed->open": 2, "open->half-open": 1]
            // The ledger's terms change only through its balanced moves; a made-up one comes from JSON.
            status.ledger = try! JSONDecoder().decode(Ledger.self, from: Data("""
                {"accepted": 1000, "recovered": 7, "delivered": 900, "queued": 40, "inFlight": 30, "spooled": 33,
                 "dropped": {"memory_full": 4}, "replayed": 12, "replayInFlight": 2, "spilled": 50, "deadLettered": 1, "quarantined": 1,
                 "possiblyPersisted": 3, "rejected": {"invalid_topic": 5}, "liveQueued": 35, "liveQueuedBytes": 3500,
                 "inFlightBytes": 3000, "handoffQueued": 5, "handoffBytes": 500}
                """.utf8))
            status.imbalance = 0
            status.replay.paused = true
            status.replay.currentRate = 250
            status.replay.phase = "backing-off"
            status.replay.minRecordsPerSecond = 100
            status.breaker.trafficRetryInSeconds = 1.5
            status.kafkaIncompatibility = "librdkafka 2.0.2 cannot read this broker's ApiVersions reply"
            status.replay.recordsPerSecond = 5000
            status.replay.bytesPerSecond = 8_388_608
            status.spool.available = true
            status.spool.ready = 32
            status.spool.readyBytes = 3200
            status.spool.deadLetters = 1
            status.spool.deadLetterBytes = 2000
            status.spool.evictedLifetime = 9
            status.spool.escrowRecords = 4
            status.acks.pendingRecords = 6
            status.acks.pendingBytes = 600
            status.acks.acceptedSpool = 70
            status.acks.acceptedKafka = 80
            status.acks.answered = [try! JSONDecoder().decode(AckCounts.Answered.self, from: Data(#"{"level": "kafka", "outcome": "spooled", "reason": "ack_timeout", "count": 3}"#.utf8))]
            status.lastError = "spool full"
            var limits = AdminStatus.Limits()
            limits.queueMaxRecords = 100_000
            limits.spoolMaxBytes = 1 << 30
            limits.spoolMaxRecords = 10_000_000
            status.limits = limits
            return status
        }

        static func object(_ data: Data) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }

        /// Every key path of a JSON object, dotted, with its value.
        static func leaves(_ object: [String: Any], prefix: String = "") -> [String: Any] {
            var result: [String: Any] = [:]
            for (key, value) in object {
                let path = prefix.isEmpty ? key : "\(prefix).\(key)"
                if let nested = value as? [String: Any], !["dropped", "rejected", "transitions"].contains(key) {
                    result.merge(leaves(nested, prefix: path)) { $1 }
                } else {
                    result[path] = value
                }
            }
            return result
        }

        @Test func everyFieldSurvivesTheWire() throws {
            let status = Self.populated()
            let data = try AdminContract.encoder.encode(status)
            #expect(try AdminContract.decode(AdminStatus.self, from: data) == status)
            #expect(try AdminContract.decoder.decode(AdminStatus.self, from: data) == status)
            // The sample sets every field of the contract's own sections, so the round trip checks each.
            let populated = Self.leaves(try Self.object(data))
            let defaults = Self.leaves(try Self.object(AdminContract.encoder.encode(AdminStatus())))
            for (path, value) in populated where !path.hasPrefix("ledger.") && !path.hasPrefix("breaker.") && path != "imbalance" {
                #expect(defaults[path].map { "\($0)" } != "\(value)", "the sample leaves \(path) at its default")
            }
        }

        @Test func theWireKeepsItsNames() throws {
            // The names the service has served since the status page exists: dashboards and scripts read them.
            let served: Set<String> = [
                "running", "imbalance", "last_error",
                "breaker.mode", "breaker.state", "breaker.window_calls", "breaker.failure_rate", "breaker.slow_rate",
                "breaker.consecutive_openings", "breaker.last_transition", "breaker.last_reason", "breaker.next_probe_in_seconds",
                "breaker.last_probe_failure", "breaker.transitions",
                "ledger.accepted", "ledger.recovered", "ledger.delivered", "ledger.queued", "ledger.in_flight", "ledger.spooled",
                "ledger.dropped", "ledger.replayed", "ledger.replay_in_flight", "ledger.spilled", "ledger.dead_lettered", "ledger.rejected",
                "ledger.live_queued", "ledger.live_queued_bytes", "ledger.in_flight_bytes", "ledger.handoff_queued", "ledger.handoff_bytes",
                "replay.paused", "replay.current_rate", "replay.records_per_second", "replay.bytes_per_second",
                "spool.available", "spool.ready", "spool.ready_bytes", "spool.dead_letters", "spool.dead_letter_bytes", "spool.evicted_lifetime",
                "limits.queue_max_records", "limits.spool_max_bytes", "limits.spool_max_records",
            ]
            let encoded = Set(Self.leaves(try Self.object(AdminContract.encoder.encode(Self.populated()))).keys)
            #expect(served.subtracting(encoded).isEmpty, "renamed or gone: \(served.subtracting(encoded).sorted())")
            let dropped = try Self.object(AdminContract.encoder.encode(Self.populated()))["ledger"] as? [String: Any]
            #expect((dropped?["dropped"] as? [String: Any])?["memory_full"] as? Int == 4, "reasons keep their spelling")
            #expect(String(decoding: try AdminContract.encoder.encode(BacklogRequest(recordsPerSecond: 5)), as: UTF8.self) == #"{"records_per_second":5}"#)
            #expect(String(decoding: try AdminContract.encoder.encode(BreakerRequest(mode: .forcedClosed)), as: UTF8.self) == #"{"mode":"closed"}"#)
        }

        @Test func aClientReadsAnOlderServiceAndANewerOne() throws {
            // An older service: fields missing at every level read as their defaults.
            #expect(try AdminContract.decode(AdminStatus.self, from: Data("{}".utf8)) == AdminStatus())
            let older = try AdminContract.decode(AdminStatus.self, from: Data(#"{"breaker": {"mode": "open"}, "ledger": {"accepted": 3}, "replay": {"paused": true}}"#.utf8))
            #expect(older.breaker.mode == .forcedOpen)
            #expect(older.breaker.state == .closed)
            #expect(older.ledger.accepted == 3)
            #expect(older.ledger.replayInFlight == 0)
            #expect(older.replay.paused)
            #expect(older.limits == nil)
            // A newer service: fields this client does not know, at every level, are ignored.
            var newer = try Self.object(AdminContract.encoder.encode(Self.populated()))
            newer["replay_controller"] = ["window": 12, "phase": "probing"]
            var ledger = try #require(newer["ledger"] as? [String: Any])
            ledger["possibly_persisted"] = 3
            newer["ledger"] = ledger
            var spool = try #require(newer["spool"] as? [String: Any])
            spool["oldest_age_seconds"] = 12.5
            newer["spool"] = spool
            let data = try JSONSerialization.data(withJSONObject: newer)
            #expect(try AdminContract.decode(AdminStatus.self, from: data) == Self.populated())
            // A null where this client expects a number keeps the default, not a failure.
            let nulls = try AdminContract.decode(AdminStatus.Replay.self, from: Data(#"{"current_rate": null, "paused": true}"#.utf8))
            #expect(nulls.currentRate == 0 && nulls.paused)
        }

        @Test func whatTheServiceServesTheClientReads() async throws {
            try await withService { harness in
                let json: HTTPFields = [.contentType: "application/json"]
                try await harness.server.adminApplication.test(.router) { admin in
                    let breakerBody = ByteBuffer(bytes: try AdminContract.encoder.encode(BreakerRequest(mode: .forcedOpen)))
                    try await admin.execute(uri: AdminContract.Route.breaker, method: .put, headers: json, body: breakerBody) { response in
                        #expect(response.status == .ok)
                        let reply = try AdminContract.decode(BreakerReply.self, from: Data(response.body.readableBytesView))
                        #expect(reply.mode == .forcedOpen)
                    }
                    let backlogBody = ByteBuffer(bytes: try AdminContract.encoder.encode(BacklogRequest(paused: true, recordsPerSecond: 1234)))
                    try await admin.execute(uri: AdminContract.Route.backlog, method: .put, headers: json, body: backlogBody) { response in
                        #expect(response.status == .ok)
                        let replay = try AdminContract.decode(AdminStatus.Replay.self, from: Data(response.body.readableBytesView))
                        #expect(replay.paused && replay.recordsPerSecond == 1234)
                    }
                    try await harness.waitFor("forced open, the spool open") { $0.breaker.mode == .forcedOpen && $0.spoolAvailable }
                    try await admin.execute(uri: AdminContract.Route.status, method: .get) { response in
                        let status = try AdminContract.decoder.decode(AdminStatus.self, from: Data(response.body.readableBytesView))
                        #expect(status.breaker.mode == .forcedOpen)
                        #expect(status.replay.paused)
                        #expect(status.replay.recordsPerSecond == 1234)
                        #expect(status.limits?.queueMaxRecords == harness.server.settings.pipeline.queue.maxRecords)
                        #expect(status.spool.available)
                    }
                    try await admin.execute(uri: AdminContract.Route.breaker, method: .put, headers: json, body: ByteBuffer(string: "{}")) { response in
                        #expect(response.status == .badRequest)
                        let refusal = try AdminContract.decode(AdminErrorReply.self, from: Data(response.body.readableBytesView))
                        #expect(refusal.error.contains("missing field \"mode\""), "\(refusal.error)")
                    }
                    try await admin.execute(uri: AdminContract.Route.backlog, method: .put, headers: json, body: ByteBuffer(string: #"{"records_per_second": "fast"}"#)) { response in
                        #expect(response.status == .badRequest)
                        let refusal = try AdminContract.decode(AdminErrorReply.self, from: Data(response.body.readableBytesView))
                        #expect(refusal.error == "records_per_second: expected a number", "\(refusal.error)")
                    }
                }
            }
        }
    }
}
