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
    }
}
