import Spillway
import SpillwaySpool
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    @Suite struct PipelineHealthyTests {
        @Test func recordsReachKafkaIntactAndTheLedgerBalances() async throws {
            try await withPipeline { harness in
                let dispositions = harness.send(0..<500)
                #expect(dispositions.allSatisfy { $0 == .queued || $0 == .spooled })
                let headers = [RecordHeader(name: "trace", value: [1, 2, 3])]
                #expect(harness.buffer.send(topic: harness.topic, key: nil, value: Array("id-500".utf8), headers: headers).isAccepted)

                let status = try await harness.waitFor("all delivered") { $0.ledger.delivered == 501 }
                #expect(status.ledger.accepted == 501)
                #expect(status.ledger.droppedTotal == 0)
                #expect(status.breaker.state == .closed)
                try await harness.stop()

                let records = try await KafkaTopicReader.read(bootstrapServers: harness.cluster.bootstrapServers, topic: harness.topic)
                #expect(records.count == 501)
                let byValue = Dictionary(records.map { (String(decoding: $0.value ?? [], as: UTF8.self), $0) }, uniquingKeysWith: { first, _ in first })
                #expect(Set(byValue.keys) == Set((0...500).map { "id-\($0)" }))
                #expect(byValue["id-7"]?.key == Array("k7".utf8))
                #expect(byValue["id-500"]?.key == nil)
                #expect(byValue["id-500"]?.headers["trace"] == [1, 2, 3])
                // Within one partition, order is kept.
                let order = records.sorted { $0.offset < $1.offset }.compactMap { Int(String(decoding: $0.value ?? [], as: UTF8.self).dropFirst(3)) }
                #expect(order == order.sorted())
                let final = harness.buffer.status().ledger
                #expect(final.imbalance == 0)
                #expect(final.spooled == 0)
            }
        }

        /// librdkafka's own log lines reach the application's logger with a level and
        /// facility, instead of being printed to standard error behind its back.
        @Test func librdkafkaLogLinesGoThroughTheLogger() async throws {
            let recorder = LogRecorder()
            let closedPort = freeLoopbackPort()
            try await withPipeline(logger: recorder.logger, configure: { configuration in
                configuration.kafka.bootstrapServers = ["127.0.0.1:\(closedPort)"]
                configuration.kafka.properties["log_level"] = "6"
            }) { harness in
                harness.send(0..<5)
                var budget = PollingBudget(.seconds(30))  // time spent waiting for a thread does not count
                var failure: LogRecorder.Entry?
                while failure == nil, budget.spend() {
                    failure = recorder.recorded.first { $0.message.hasPrefix("librdkafka: ") && $0.metadata["facility"] == "FAIL" }
                    if failure == nil { try await Task.sleep(for: .milliseconds(50)) }
                }
                try await harness.stop()
                let line = try #require(failure, "no librdkafka FAIL line was logged; got \(recorder.recorded.map(\.message))")
                #expect(line.level == .error)
                #expect(line.message.contains("\(closedPort)"))
                #expect(line.metadata["similar_since_last_line"] == "0")
            }
        }

        @Test func invalidInputIsRejectedAndNeverAccepted() async throws {
            try await withPipeline(configure: { $0.maxRecordBytes = 100 }) { harness in
                let buffer = harness.buffer
                #expect(buffer.send(topic: "", value: [1]) == .rejected(.invalidTopic("", why: "it is empty")))
                #expect(buffer.send(topic: "..", value: [1]) == .rejected(.invalidTopic("..", why: "\".\" and \"..\" are not allowed")))
                if case .rejected(.invalidTopic(_, let why)) = buffer.send(topic: "bad topic!", value: [1]) {
                    #expect(why.contains("only letters"))
                } else {
                    Issue.record("a topic with a space was not rejected")
                }
                #expect(buffer.send(topic: String(repeating: "a", count: 250), value: [1]).isAccepted == false)
                #expect(buffer.send(topic: String(repeating: "a", count: 249), value: [1]).isAccepted)
                #expect(buffer.send(topic: "ok", value: [UInt8](repeating: 0, count: 101)) == .rejected(.recordTooLarge(size: 101, limit: 100)))
                // A timestamp of its own below -1 (Kafka's "none"), which Kafka would refuse and replay quarantine.
                let timestamps = buffer.send([
                    OutgoingRecord(topic: "ok", value: [1], timestamp: -2), OutgoingRecord(topic: "ok", value: [2], timestamp: -1),
                ])
                #expect(timestamps.first == .rejected(.invalidTimestamp(-2)))
                #expect(timestamps.last?.isAccepted == true)
                let status = buffer.status()
                #expect(status.ledger.rejected["invalid_topic"] == 4)
                #expect(status.ledger.rejected["record_too_large"] == 1)
                #expect(status.ledger.rejected["invalid_timestamp"] == 1)
                #expect(status.ledger.accepted == 2)
                try await harness.stop()
                #expect(harness.buffer.status().ledger.imbalance == 0)
            }
        }
    }
}
