import Foundation
import NIOCore
import Spillway
import SpillwayKafkaWire
import SpillwayService
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    /// Kafka producers pointed at Spillway's Kafka listener: librdkafka as the
    /// client, the mock cluster upstream, and an independent consumer reading back.
    @Suite struct KafkaListenerTests {
        /// Binary keys and values (a missing key, an empty value), repeated header
        /// names and the producer's own timestamps.
        static func records(_ count: Int, tag: String) -> [ProducedRecord] {
            (0..<count).map { index -> ProducedRecord in
                let key: [UInt8]? = index % 5 == 0 ? nil : Array("k\(index)".utf8) + [0, 0xFF]
                let tail: [UInt8] = (0..<(index % 50)).map { UInt8(truncatingIfNeeded: $0 &* 37) }
                let value: [UInt8] = index == 3 ? [] : Array("\(tag)-\(index)-".utf8) + tail
                let headers: [(name: String, value: [UInt8]?)] = index % 3 == 0
                    ? [] : [("h", [1, 2, UInt8(truncatingIfNeeded: index)]), ("h", []), ("trace", Array("t\(index)".utf8))]
                return ProducedRecord(key: key, value: value, headers: headers, timestamp: 1_700_000_000_000 + Int64(index))
            }
        }

        /// What a reader found, in the producer's terms, by value.
        static func arrived(_ read: [ConsumedRecord]) -> [[UInt8]?: ConsumedRecord] {
            Dictionary(read.map { ($0.value, $0) }, uniquingKeysWith: { first, _ in first })
        }

        @Test(arguments: ["none", "gzip", "snappy", "lz4", "zstd"])
        func everyCodecArrivesByteExactAtAcksAll(_ codec: String) async throws {
            try await withKafkaListener { harness, listener in
                let topic = "codec-\(codec)"
                let sent = Self.records(60, tag: codec)
                let reports = try await KafkaTestProducer.produce(
                    sent, to: topic, bootstrapServers: listener, properties: ["compression.codec": codec, "acks": "all"]
                )
                #expect(reports.allSatisfy { $0.error == nil }, "\(reports.compactMap(\.error))")
                let read = try await harness.readTopic(topic)
                #expect(read.count == sent.count)
                let byValue = Self.arrived(read)
                for (record, report) in zip(sent, reports) {
                    let found = try #require(byValue[record.value], "not in Kafka: \(record.value)")
                    #expect(found.key == record.key)
                    #expect(found.timestamp == record.timestamp)
                    #expect(found.headers["trace"] ?? nil == record.headers.first { $0.name == "trace" }?.value)
                    // acks=all is answered with where Kafka put the record.
                    #expect(report.partition == found.partition && report.offset == found.offset, "\(report) vs \(found.partition)/\(found.offset)")
                }
            }
        }

        @Test func acksOneIsAnsweredOnceSpooledWhileTheBreakerIsOpenAndDeliveredAfter() async throws {
            try await withKafkaListener { harness, listener in
                let topic = "acks-one"
                // The count is known first, as it would be before an outage.
                _ = try await KafkaTestProducer.produce(Self.records(1, tag: "warm"), to: topic, bootstrapServers: listener, properties: ["acks": "all"])
                harness.server.buffer.setBreakerMode(.forcedOpen)
                let sent = Self.records(40, tag: "spooled")
                let reports = try await KafkaTestProducer.produce(sent, to: topic, bootstrapServers: listener, properties: ["acks": "1"])
                // Not in Kafka yet: no offset of Kafka's (librdkafka numbers a batch's records from -1).
                #expect(reports.allSatisfy { $0.error == nil }, "\(reports.compactMap(\.error))")
                #expect(harness.server.buffer.status().spool.readyCount == 40, "answered only once on disk")
                harness.server.buffer.setBreakerMode(.auto)
                try await harness.waitFor("replayed", timeout: .seconds(60)) { $0.ledger.delivered == 41 }
                let byValue = Self.arrived(try await harness.readTopic(topic))
                for record in sent { #expect(byValue[record.value]?.key == record.key) }
            }
        }

        /// A producer's NULL value (a tombstone) and NULL header value arrive in
        /// Kafka as NULL, and empty ones as empty, sent on at once or spooled first.
        @Test func nullValuesAndHeadersArriveAsNullAndEmptyOnesAsEmpty() async throws {
            try await withKafkaListener { harness, listener in
                let topic = "tombstones"
                let headers: [(name: String, value: [UInt8]?)] = [("n", nil), ("e", []), ("b", [1])]
                func records(_ way: String) -> [ProducedRecord] {
                    [
                        ProducedRecord(key: Array("\(way)-null".utf8), value: nil, headers: headers),
                        ProducedRecord(key: Array("\(way)-empty".utf8), value: [], headers: headers),
                    ]
                }
                let live = try await KafkaTestProducer.produce(records("live"), to: topic, bootstrapServers: listener, properties: ["acks": "all"])
                #expect(live.allSatisfy { $0.error == nil }, "\(live.compactMap(\.error))")
                harness.server.buffer.setBreakerMode(.forcedOpen)
                let spooled = try await KafkaTestProducer.produce(records("spooled"), to: topic, bootstrapServers: listener, properties: ["acks": "1"])
                #expect(spooled.allSatisfy { $0.error == nil }, "\(spooled.compactMap(\.error))")
                #expect(harness.server.buffer.status().spool.readyCount == 2, "answered once on disk")
                harness.server.buffer.setBreakerMode(.auto)
                try await harness.waitFor("replayed", timeout: .seconds(60)) { $0.ledger.delivered == 4 }

                let read = try await harness.readTopic(topic)
                #expect(read.count == 4)
                let byKey = Dictionary(read.map { ($0.key ?? [], $0) }, uniquingKeysWith: { first, _ in first })
                for way in ["live", "spooled"] {
                    let tombstone = try #require(byKey[Array("\(way)-null".utf8)], "\(way): the tombstone never arrived")
                    let empty = try #require(byKey[Array("\(way)-empty".utf8)], "\(way): the empty value never arrived")
                    #expect(tombstone.value == nil, "\(way): arrived as \(String(describing: tombstone.value))")
                    #expect(empty.value == [], "\(way): arrived as \(String(describing: empty.value))")
                    for record in [tombstone, empty] {
                        #expect(record.headers["n"] == .some(nil), "\(way): NULL header arrived as \(String(describing: record.headers["n"]))")
                        #expect(record.headers["e"] == .some([]), "\(way): empty header arrived as \(String(describing: record.headers["e"]))")
                        #expect(record.headers["b"] == .some([1]))
                    }
                }
            }
        }

        @Test func acksZeroExpectsNoAnswerAndStillArrives() async throws {
            try await withKafkaListener { harness, listener in
                let sent = Self.records(30, tag: "fire-and-forget")
                let reports = try await KafkaTestProducer.produce(sent, to: "acks-zero", bootstrapServers: listener, properties: ["acks": "0"])
                #expect(reports.allSatisfy { $0.error == nil })
                try await harness.waitFor("delivered") { $0.ledger.delivered == 30 }
                #expect(Set(try await harness.readTopic("acks-zero").map(\.value)) == Set(sent.map(\.value)))
            }
        }

        @Test func idempotentProducersGetEachRecordOnce() async throws {
            try await withKafkaListener { harness, listener in
                let sent = Self.records(300, tag: "idempotent")
                let reports = try await KafkaTestProducer.produce(
                    sent, to: "idempotent", bootstrapServers: listener,
                    properties: ["enable.idempotence": "true", "compression.codec": "lz4", "batch.num.messages": "25"]
                )
                #expect(reports.allSatisfy { $0.error == nil }, "\(reports.compactMap(\.error))")
                let read = try await harness.readTopic("idempotent")
                #expect(read.count == 300 && Set(read.map(\.value)) == Set(sent.map(\.value)))
            }
        }

        /// A producer far ahead of the acknowledgement bounds (batches of 1,000
        /// against a bound of 200 waiting records) is slowed down, not answered
        /// with errors it would retry into duplicates.
        @Test func aFloodBeyondTheWaitingBoundIsTakenOnceWithoutCapacityErrors() async throws {
            try await withKafkaListener(configure: { $0.pipeline.ack.maxPendingRecords = 200 }) { harness, listener in
                let sent = (0..<5000).map { ProducedRecord(key: Array("k\($0 % 13)".utf8), value: Array("flood-\($0)".utf8)) }
                let reports = try await KafkaTestProducer.produce(
                    sent, to: "flood", bootstrapServers: listener, properties: ["acks": "all", "batch.num.messages": "1000", "linger.ms": "50"]
                )
                #expect(reports.allSatisfy { $0.error == nil }, "\(Set(reports.compactMap(\.error)))")
                let status = harness.server.buffer.status()
                #expect(status.acks.answered(.kafka, reason: .capacity) == 0)
                #expect(status.ledger.accepted == 5000, "each record taken once")
                let read = try await harness.readTopic("flood")
                #expect(read.count == 5000 && Set(read.map(\.value)) == Set(sent.map(\.value)))
            }
        }

        /// A batch with one record the listener must refuse, as a broker would, and what it must answer.
        struct WholeBatchRefusal: Sendable, CustomTestStringConvertible {
            var topic: String
            var records: [KafkaRecord]
            var errorCode: KafkaErrorCode
            var reason: String
            var testDescription: String { reason }

            static let cases = [
                // Over `max_record_bytes` (1000 here) in the middle of the batch.
                WholeBatchRefusal(topic: "sizes", records: [
                    KafkaRecord(timestamp: 1, offsetDelta: 0, key: nil, value: Array("small".utf8)),
                    KafkaRecord(timestamp: 1, offsetDelta: 1, key: nil, value: [UInt8](repeating: 7, count: 5000)),
                    KafkaRecord(timestamp: 1, offsetDelta: 2, key: nil, value: Array("small too".utf8)),
                ], errorCode: .messageTooLarge, reason: "record_too_large"),
                // A producer's CreateTime below -1: kept, Kafka's producers would have refused
                // it, and a spooled copy would be quarantined on replay.
                WholeBatchRefusal(topic: "times", records: [
                    KafkaRecord(timestamp: 1_764_000_000_000, offsetDelta: 0, key: nil, value: Array("now".utf8)),
                    KafkaRecord(timestamp: -5, offsetDelta: 1, key: nil, value: Array("before 1970".utf8)),
                ], errorCode: .invalidTimestamp, reason: "invalid_timestamp"),
            ]
        }

        /// One bad record refuses its partition's batch whole, with the broker's
        /// error, and counts every record of it as refused. The request is written
        /// by hand: librdkafka may split records into several batches.
        @Test(arguments: WholeBatchRefusal.cases)
        func aBatchWithOneBadRecordIsRefusedWhole(_ refusal: WholeBatchRefusal) async throws {
            try await withKafkaListener(configure: { $0.pipeline.maxRecordBytes = 1000 }) { harness, listener in
                // A record first, so Spillway knows the topic's partitions upstream.
                let warmUp = try await KafkaTestProducer.produce(Self.records(1, tag: refusal.topic), to: refusal.topic, bootstrapServers: listener, properties: ["acks": "all"])
                #expect(warmUp.map(\.error) == [nil])
                let before = harness.server.buffer.status().ledger

                let batch = RecordBatchEncoder.encode(records: refusal.records, compression: .none)
                let connection = try RawConnection(port: Int(listener.split(separator: ":").last!)!)
                connection.send(Self.produceV3(topic: refusal.topic, partition: 0, acks: -1, correlationID: 9, records: batch))
                let answer = try #require(await connection.readKafkaFrame(timeout: .seconds(30)))
                let partition = try #require(Self.produceV3Answer(answer))
                #expect(partition.correlationID == 9 && partition.topic == refusal.topic && partition.index == 0)
                #expect(partition.errorCode == refusal.errorCode.rawValue && partition.baseOffset == -1)

                let after = harness.server.buffer.status().ledger
                #expect(after.accepted == before.accepted, "none of the batch is taken")
                #expect(after.rejected[refusal.reason, default: 0] - before.rejected[refusal.reason, default: 0] == refusal.records.count)
                #expect(after.imbalance == 0)
            }
        }

        /// A Produce v3 request frame (size prefix included) for one partition:
        /// header v1 with client id "raw", no transactional id, a 30 s timeout.
        static func produceV3(topic: String, partition: Int32, acks: Int16, correlationID: Int32, records: ByteBuffer) -> [UInt8] {
            var body = ByteBuffer()
            body.writeInteger(Int16(0))  // Produce
            body.writeInteger(Int16(3))
            body.writeInteger(correlationID)
            body.writeInteger(Int16(3))
            body.writeString("raw")
            body.writeInteger(Int16(-1))  // transactional id: null
            body.writeInteger(acks)
            body.writeInteger(Int32(30_000))
            body.writeInteger(Int32(1))  // topics
            body.writeInteger(Int16(topic.utf8.count))
            body.writeString(topic)
            body.writeInteger(Int32(1))  // partitions
            body.writeInteger(partition)
            body.writeInteger(Int32(records.readableBytes))
            body.writeImmutableBuffer(records)
            var frame = ByteBuffer()
            frame.writeInteger(Int32(body.readableBytes))
            frame.writeBuffer(&body)
            return Array(frame.readableBytesView)
        }

        /// The first partition of a Produce v3 answer (the frame without its size).
        static func produceV3Answer(_ bytes: [UInt8]) -> (correlationID: Int32, topic: String, index: Int32, errorCode: Int16, baseOffset: Int64)? {
            var buffer = ByteBuffer(bytes: bytes)
            guard let correlationID = buffer.readInteger(as: Int32.self),
                  buffer.readInteger(as: Int32.self) == 1,
                  let nameLength = buffer.readInteger(as: Int16.self),
                  let topic = buffer.readString(length: Int(nameLength)),
                  buffer.readInteger(as: Int32.self) == 1,
                  let index = buffer.readInteger(as: Int32.self),
                  let errorCode = buffer.readInteger(as: Int16.self),
                  let baseOffset = buffer.readInteger(as: Int64.self)
            else { return nil }
            return (correlationID, topic, index, errorCode, baseOffset)
        }

        @Test func partitionsMirrorTheUpstreamCluster() async throws {
            try await withKafkaListener { harness, listener in
                try harness.cluster.createTopic("three", partitions: 3)
                let pinned = (0..<3).map { ProducedRecord(key: nil, value: Array("p\($0)".utf8), partition: Int32($0)) }
                let reports = try await KafkaTestProducer.produce(pinned, to: "three", bootstrapServers: listener, properties: ["acks": "all"])
                #expect(reports.map(\.error) == [nil, nil, nil])
                #expect(reports.map(\.partition) == [0, 1, 2])
                // The client learnt three partitions from Spillway: a fourth is refused before it is sent.
                let beyond = try await KafkaTestProducer.produce(
                    [ProducedRecord(value: Array("p3".utf8), partition: 3)], to: "three", bootstrapServers: listener
                )
                #expect(beyond.first?.error == "_UNKNOWN_PARTITION")
                #expect(try await harness.readTopic("three").map(\.partition).sorted() == [0, 1, 2])
            }
        }

        @Test func aTopicOutsideTheAllowlistIsRefusedAndNothingIsTaken() async throws {
            try await withKafkaListener(configure: { $0.topicAllowlist = ["allowed"] }) { harness, listener in
                let reports = try await KafkaTestProducer.produce(
                    Self.records(3, tag: "denied"), to: "denied", bootstrapServers: listener, properties: ["message.timeout.ms": "5000"], timeout: .seconds(30)
                )
                #expect(reports.allSatisfy { $0.error == "TOPIC_AUTHORIZATION_FAILED" }, "\(reports)")
                #expect(harness.server.buffer.status().ledger.accepted == 0)
            }
        }

        // MARK: Bytes no client sends

        @Test func aMalformedFrameClosesOnlyItsConnection() async throws {
            try await withKafkaListener { harness, listener in
                let port = Int(listener.split(separator: ":").last!)!
                let connection = try RawConnection(port: port)
                // A frame that claims 7 bytes of header and holds garbage.
                connection.send([0, 0, 0, 7, 0xFF, 0xFF, 0xFF, 0xFF, 0x12, 0x34, 0x56])
                let (_, closed) = await connection.readBytesUntilClosed(timeout: .seconds(30))
                #expect(closed)
                // A lying length (negative) closes too.
                let liar = try RawConnection(port: port)
                liar.send([0x80, 0, 0, 0, 1, 2, 3])
                #expect(await liar.readBytesUntilClosed(timeout: .seconds(30)).closed)
                // Other clients go on.
                let reports = try await KafkaTestProducer.produce(Self.records(5, tag: "after"), to: "after", bootstrapServers: listener, properties: ["acks": "all"])
                #expect(reports.allSatisfy { $0.error == nil })
                #expect(harness.server.buffer.status().ledger.imbalance == 0)
            }
        }

        @Test func anAPISpillwayDoesNotServeClosesTheConnection() async throws {
            try await withKafkaListener { _, listener in
                let connection = try RawConnection(port: Int(listener.split(separator: ":").last!)!)
                // Fetch v4 (listed for clients' feature checks, never served), correlation 7, client "c".
                let frame: [UInt8] = [0, 1, 0, 4, 0, 0, 0, 7, 0, 1, 0x63] + [UInt8](repeating: 0, count: 16)
                connection.send([0, 0, 0, UInt8(frame.count)] + frame)
                let (bytes, closed) = await connection.readBytesUntilClosed(timeout: .seconds(30))
                #expect(closed && bytes.isEmpty)
            }
        }

        @Test func apiVersionsAboveWhatSpillwaySpeaksIsAnsweredInVersionZero() async throws {
            try await withKafkaListener { _, listener in
                let connection = try RawConnection(port: Int(listener.split(separator: ":").last!)!)
                // ApiVersions v9, correlation id 42, client "c", then an empty tagged-field section.
                let frame: [UInt8] = [0, 18, 0, 9, 0, 0, 0, 42, 0, 1, 0x63, 0]
                connection.send([0, 0, 0, UInt8(frame.count)] + frame)
                let answer = try #require(await connection.readKafkaFrame(timeout: .seconds(30)))
                // Response header v0 (correlation id), then error UNSUPPORTED_VERSION (35) and the ranges.
                #expect(Array(answer.prefix(6)) == [0, 0, 0, 42, 0, 35])
                let count = Int(answer[6...9].reduce(0) { $0 << 8 | UInt32($1) })
                var ranges: [Int16: ClosedRange<Int16>] = [:]
                for entry in 0..<count {
                    let at = 10 + entry * 6
                    let field = { (offset: Int) in Int16(bitPattern: UInt16(answer[at + offset]) << 8 | UInt16(answer[at + offset + 1])) }
                    ranges[field(0)] = field(2)...field(4)
                }
                #expect(ranges[18] == 0...3 && ranges[0] == 3...9)
            }
        }
    
        @Test func statusShowsWhoIsConnected() async throws {
            let connections = KafkaConnections()
            try await withKafkaListener(connections: connections) { _, listener in
                let connection = try RawConnection(port: Int(listener.split(separator: ":").last!)!)
                // ApiVersions v3 from client "billing", software "kafka-js" "2.2.4": header v2, then compact strings.
                let body: [UInt8] = [9] + Array("kafka-js".utf8) + [6] + Array("2.2.4".utf8) + [0]
                let frame: [UInt8] = [0, 18, 0, 3, 0, 0, 0, 1, 0, 7] + Array("billing".utf8) + [0] + body
                connection.send([0, 0, 0, UInt8(frame.count)] + frame)
                let answer = try #require(await connection.readKafkaFrame(timeout: .seconds(30)))
                #expect(Array(answer.prefix(6)) == [0, 0, 0, 1, 0, 0], "answered without an error")
                let status = connections.status()
                #expect(status.address == listener)
                #expect(status.connections == 1)
                #expect(status.clients == [.init(clientID: "billing", software: "kafka-js 2.2.4", connections: 1)])
            }
        }
    }
}
