import Foundation
import SpillwaySpool
import SpillwayTestKit
import Testing

/// Issue 13 item 11: `spool import` takes records from elsewhere. Only `topic` and
/// `value` are required; each line is checked as intake checks a record, and each
/// refusal names its line.
@Suite struct SpoolImportTests {
    @Test func importTakesMinimalRecordsWithDefaults() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        let input = """
            {"topic":"t","value":"plain"}
            {"topic":"t","value":"AAE=","value_encoding":"base64","key":"k","headers":{"h":"1"},"partition":3}
            {"topic":"u","value":"x","headers":[{"name":"b","value":"/w==","encoding":"base64"},{"name":"b","value":"2"}]}
            """
        let started = Int64(Date().timeIntervalSince1970 * 1000)
        let result = try await CLI.run(["spool", "import", "--spool", path, "-"], input: Data(input.utf8))
        let finished = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("imported 3 records"))
        let records = try Spool.openForInspection(path: path).records(matching: SpoolQuery(area: .all), limit: 10)
        #expect(records.map(\.record.value) == [Array("plain".utf8), [0, 1], Array("x".utf8)])
        #expect(records.map(\.id) == [1, 2, 3])
        for spooled in records {
            #expect(spooled.record.attempts == 0)
            #expect((started - 1000...finished + 1000).contains(spooled.record.timestamp), "created_at_ms defaults to now")
            #expect(spooled.deadLetterReason == nil)
        }
        #expect(records[1].record.key == Array("k".utf8))
        #expect(records[1].record.headers == [RecordHeader(name: "h", value: Array("1".utf8))])
        #expect(records[1].record.partition == 3)
        #expect(records[2].record.headers == [RecordHeader(name: "b", value: [0xFF]), RecordHeader(name: "b", value: Array("2".utf8))])
    }

    @Test func importRefusesEachBadLineWithItsNumberAndTakesTheRest() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        let big = String(repeating: "x", count: 2000)
        let lines = [
            #"{"topic":"t","value":"one"}"#,
            #"{"topic":"bad topic","value":"x"}"#,
            #"{"topic":"t","value":"QUJD=","value_encoding":"base64"}"#,
            #"{"topic":"t","value":"x","partition":-2}"#,
            #"{"topic":"t"}"#,
            #"{"topic":"t","value":"\#(big)"}"#,
            "not json",
            #"{"topic":"t","value":"a"},{"topic":"t","value":"b"}"#,
            "",
            #"{"topic":"t","value":"two","created_at_ms":1764000000000,"attempts":2,"id":40}"#,
            #"{"value":"no topic"}"#,
        ]
        let result = try await CLI.run(["spool", "import", "--spool", path, "--max-record-bytes", "1000", "-"], input: Data(lines.joined(separator: "\n").utf8))
        #expect(result.status != 0)
        let refusals = result.stderr.split(separator: "\n").filter { $0.hasPrefix("-:") }
        try #require(refusals.map { $0.split(separator: ":")[1] } == ["2", "3", "4", "5", "6", "7", "8", "11"], "\(result.stderr)")
        #expect(refusals[0].contains("invalid topic name"))
        #expect(refusals[1].contains("base64"))
        #expect(refusals[2].contains("partition -2"))
        #expect(refusals[3].contains("missing field \"value\""))
        #expect(refusals[4].contains("over the limit of 1000 bytes"))
        #expect(refusals[7].contains("missing field \"topic\""))
        #expect(result.stderr.contains("imported 2 records"), "\(result.stderr)")
        #expect(result.stderr.contains("refused 8 lines"), "\(result.stderr)")
        let records = try Spool.openForInspection(path: path).records(matching: SpoolQuery(area: .all), limit: 10)
        #expect(records.map(\.record.value) == [Array("one".utf8), Array("two".utf8)])
        #expect(records.last?.id == 40)
        #expect(records.last?.record.timestamp == 1_764_000_000_000)
        #expect(records.last?.record.attempts == 2)
    }
}
