import Spillway
import SpillwaySpool
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    /// Kafka's NULL value (a tombstone) and a NULL header value reach Kafka as
    /// NULL, and empty ones as empty, on each way a record can go: sent live,
    /// spooled and replayed, and acknowledged by Kafka (with its escrow copy).
    @Suite struct PipelineNullValueTests {
        static let headers = [RecordHeader(name: "null", value: nil), RecordHeader(name: "empty", value: []), RecordHeader(name: "bytes", value: [7])]

        static func key(_ way: String, _ kind: String) -> [UInt8] { Array("\(way)-\(kind)".utf8) }

        /// A tombstone and an empty value, both with a NULL, an empty and a non-empty header.
        static func send(_ harness: PipelineHarness, _ way: String) -> [Disposition] {
            [
                harness.buffer.send(topic: harness.topic, key: key(way, "null"), value: nil, headers: headers),
                harness.buffer.send(topic: harness.topic, key: key(way, "empty"), value: [], headers: headers),
            ]
        }

        @Test func nullAndEmptyValuesAndHeadersReachKafkaAsSent() async throws {
            try await withPipeline { harness in
                let events = harness.buffer.breakerEvents()
                #expect(Self.send(harness, "live").allSatisfy { $0 == .queued })
                try await harness.waitFor("live records delivered") { $0.ledger.delivered == 2 }

                harness.buffer.setBreakerMode(.forcedOpen)
                _ = try await PipelineHarness.nextEvent(events) { $0.transition.toMode == .forcedOpen }
                #expect(Self.send(harness, "spooled") == [.spooled, .spooled])
                try await harness.waitFor("both in the spool") { $0.spool.readyCount == 2 }
                harness.buffer.setBreakerMode(.auto)
                _ = try await PipelineHarness.nextEvent(events) { $0.transition.toMode == .auto }
                try await harness.waitFor("spooled records replayed") { $0.ledger.delivered == 4 && $0.ledger.spooled == 0 }

                let acknowledged = [
                    await harness.buffer.send(topic: harness.topic, key: Self.key("kafka", "null"), value: nil, headers: Self.headers, ack: .kafka),
                    await harness.buffer.send(topic: harness.topic, key: Self.key("kafka", "empty"), value: [], headers: Self.headers, ack: .kafka),
                ]
                #expect(acknowledged.map(\.reached) == [.kafka, .kafka])
                try await harness.stop()

                let records = try await KafkaTopicReader.read(bootstrapServers: harness.cluster.bootstrapServers, topic: harness.topic)
                #expect(records.count == 6)
                let byKey = Dictionary(records.map { ($0.key ?? [], $0) }, uniquingKeysWith: { first, _ in first })
                for way in ["live", "spooled", "kafka"] {
                    let tombstone = try #require(byKey[Self.key(way, "null")], "\(way): the tombstone never arrived")
                    let empty = try #require(byKey[Self.key(way, "empty")], "\(way): the empty value never arrived")
                    #expect(tombstone.value == nil, "\(way): a NULL value arrived as \(String(describing: tombstone.value))")
                    #expect(empty.value == [], "\(way): an empty value arrived as \(String(describing: empty.value))")
                    for record in [tombstone, empty] {
                        #expect(record.headers["null"] == .some(nil), "\(way): a NULL header value arrived as \(String(describing: record.headers["null"]))")
                        #expect(record.headers["empty"] == .some([]), "\(way): an empty header value arrived as \(String(describing: record.headers["empty"]))")
                        #expect(record.headers["bytes"] == .some([7]))
                    }
                }
            }
        }
    }
}
