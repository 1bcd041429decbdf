import Foundation
import Spillway
import SpillwaySpool
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    /// Issue 21 item 3: a spool whose totals disagree with its rows (a hand edit,
    /// a damaged page) reported `recovered -7` and never replayed its 50 records,
    /// logging nothing. The service's open rebuilds the totals from the rows and
    /// says so.
    @Suite struct PipelineSpoolTotalsTests {
        @Test func totalsThatDisagreeWithTheRowsAreRebuiltAtStartAndEveryRecordReplays() async throws {
            let elsewhere = TemporaryDirectory("spillway-totals")
            defer { elsewhere.remove() }
            let path = elsewhere.file("spool.db")
            try SpoolFixtures.spool(at: path, records: SpoolFixtures.numbered(50, topic: "events"))
            try SQLiteConnection(path: path, mode: .readWrite).execute("UPDATE spool_totals SET ready_bytes = -5, ready_count = -7")
            let recorder = LogRecorder()
            try await withPipeline(logger: recorder.logger, configure: { $0.spool.path = path }) { harness in
                let status = try await harness.waitFor("the backlog replayed") { $0.ledger.delivered == 50 && $0.ledger.spooled == 0 }
                #expect(status.ledger.recovered == 50)
                try await harness.stop()
                #expect(Set(try await harness.deliveredIDs()) == Set(0..<50))
            }
            let warnings = recorder.recorded.filter { $0.message == "spool totals disagreed with the rows; rebuilt them from the rows" }
            #expect(warnings.count == 1)
            #expect(warnings.first?.level == .warning)
            #expect(warnings.first?.metadata["ready_count"] == "-7 -> 50 (table records holds 50 rows)")
            #expect(warnings.first?.metadata["ready_bytes"]?.description.hasPrefix("-5 -> ") == true)
            #expect(warnings.first?.metadata["spool"] == "\(path)")
        }
    }
}
