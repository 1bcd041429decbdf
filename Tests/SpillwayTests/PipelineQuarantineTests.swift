import Foundation
import Spillway
import SpillwaySpool
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    /// Issue 21 item 1: one unreadable row (`headers = X'FFFFFFFF00'`) stopped
    /// replay for good: ids before it were delivered, the service logged "could not
    /// read the spool for replay" and everything behind it stayed spooled. Now each
    /// bad row is moved to the dead letters with a reason naming the column, logged
    /// once with its id, counted, and every other record is delivered.
    @Suite struct PipelineQuarantineTests {
        @Test func damagedRowsAreQuarantinedAndEveryOtherRecordIsDelivered() async throws {
            let elsewhere = TemporaryDirectory("spillway-quarantine")
            defer { elsewhere.remove() }
            let path = elsewhere.file("spool.db")
            try SpoolFixtures.spool(at: path, records: SpoolFixtures.numbered(50, topic: "events"))
            try SQLiteConnection(path: path, mode: .readWrite).execute(
                "UPDATE records SET headers = X'FFFFFFFF00' WHERE id = 11; UPDATE records SET topic = 'bad topic/../x' WHERE id = 30"
            )
            let recorder = LogRecorder()
            try await withPipeline(logger: recorder.logger, configure: { $0.spool.path = path }) { harness in
                let status = try await harness.waitFor("the backlog replayed around the damaged rows") {
                    $0.ledger.delivered == 48 && $0.ledger.quarantined == 2
                }
                #expect(status.ledger.recovered == 50)
                #expect(status.ledger.deadLettered == 2)
                #expect(status.ledger.imbalance == 0)
                #expect(status.spool.readyCount == 0 && status.spool.deadCount == 2)
                try await harness.stop()
                // Record i has id i + 1: ids 11 and 30 are records 10 and 29.
                #expect(Set(try await harness.deliveredIDs()) == Set(0..<50).subtracting([10, 29]))
            }
            let lines = recorder.recorded.filter { $0.message == "a spooled record cannot be sent as stored; moved it to the dead letters" }
            #expect(lines.map { $0.metadata["id"]?.description } == ["11", "30"])
            #expect(lines.map { $0.metadata["field"]?.description } == ["headers", "topic"])
            #expect(recorder.recorded.allSatisfy { $0.message != "could not read the spool for replay" })

            let spool = try Spool.openForInspection(path: path)
            defer { spool.close() }
            let dead = try spool.records(matching: SpoolQuery(area: .deadLetters), limit: 10)
            #expect(dead.map(\.id) == [11, 30])
            #expect(dead.allSatisfy { $0.deadLetterReason?.hasPrefix(SpoolRowProblem.reasonPrefix) == true })
        }

        /// Intake checks a record's size before it adds the record id header;
        /// replay held the stored record, header included, against the same
        /// limit and quarantined records intake had taken (found in review).
        @Test func aRecordAtTheSizeLimitIsReplayedWithItsIDHeaderNotQuarantined() async throws {
            try await withPipeline(configure: { configuration in
                configuration.maxRecordBytes = 100
                configuration.recordIDHeader = "spillway-id"
            }) { harness in
                harness.buffer.setBreakerMode(.forcedOpen)
                try await harness.waitFor("forced open") { $0.breaker.mode == .forcedOpen }
                // "id-N" padded to exactly the limit: key, value and headers of 100 bytes before the id header.
                let sent = (0..<3).map { Array("id-\($0)".utf8) + [UInt8](repeating: 0x20, count: 100 - "id-\($0)".utf8.count) }
                for value in sent { #expect(harness.buffer.send(topic: harness.topic, value: value).isAccepted) }
                try await harness.waitFor("spooled") { $0.ledger.spooled == 3 && $0.ledger.queued == 0 }
                harness.buffer.setBreakerMode(.auto)
                let status = try await harness.waitFor("replayed") { $0.ledger.delivered == 3 || $0.ledger.quarantined > 0 }
                #expect(status.ledger.quarantined == 0)
                #expect(status.ledger.delivered == 3)
                try await harness.stop()
                let values = try await KafkaTopicReader.read(bootstrapServers: harness.cluster.bootstrapServers, topic: harness.topic).map(\.value)
                #expect(values.count == 3)
                #expect(Set(values.compactMap { $0 }) == Set(sent), "each delivered once, whole")
            }
        }
    }
}
