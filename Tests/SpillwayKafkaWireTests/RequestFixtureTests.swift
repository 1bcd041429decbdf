import NIOCore
import Testing

@testable import SpillwayKafkaWire

/// Every request frame captured from a real client decodes, and what it holds
/// equals what an independent decoder (the fixtures' JSON) read from it.
@Suite struct RequestFixtureTests {
    static let requests = FixtureFile.all(endingWith: ".req.bin")

    /// The payload to decode: the two fixtures above our highest versions are
    /// decoded at the highest version, whose request layout is the same.
    static func decodable(_ file: FixtureFile) -> ByteBuffer {
        if file.name.hasPrefix("Produce-v10") { return file.payload.withAPIVersion(9) }
        if file.name.hasPrefix("Metadata-v13") { return file.payload.withAPIVersion(12) }
        return file.payload
    }

    @Test func fixturesArePresent() {
        #expect(Self.requests.count >= 60)
        for client in ["kcat-1.7.1-librdkafka-2.0.2", "confluent-kafka-2.16.1-librdkafka-2.16.0", "aiokafka-0.14.0", "sarama-1.22.1"] {
            #expect(Self.requests.contains { $0.client == client && $0.name.hasPrefix("Produce") }, "no Produce fixture from \(client)")
        }
    }

    @Test(arguments: requests.filter { !$0.name.hasPrefix("GetTelemetrySubscriptions") })
    func decodes(_ file: FixtureFile) throws {
        let (header, request) = try KafkaRequestDecoder.decode(Self.decodable(file))
        let apiName = String(file.name.split(separator: "-")[0])
        #expect(header.api?.name == apiName)
        #expect(header.clientID?.hasPrefix("spillway-") == true)
        switch request {
        case .apiVersions(let body):
            if header.apiVersion >= 3 {
                #expect(body.clientSoftwareName?.isEmpty == false)
                #expect(body.clientSoftwareVersion?.isEmpty == false)
            } else {
                #expect(body.clientSoftwareName == nil)
            }
        case .metadata(let body):
            // sarama asks for all topics (null), aiokafka's bootstrap for none (empty,
            // v1+), the librdkafka clients name the topic they produce to.
            if file.client.hasPrefix("sarama") {
                #expect(body.topics == nil)
            } else if file.client.hasPrefix("aiokafka") {
                #expect(body.topics == [])
            } else {
                #expect(body.topics?.isEmpty == false)
                #expect(body.topics?.allSatisfy { $0.hasPrefix("fx-") } == true)
            }
        case .initProducerID(let body):
            #expect(body.transactionalID == nil)
            #expect(body.producerID == -1)
            #expect(body.producerEpoch == -1)
        case .produce(let body):
            let json = try #require(file.sibling(".json")).json
            try Self.compare(header: header, body, with: json)
        }
    }

    @Test func apiVersionsV3CarriesTheClientSoftware() throws {
        let file = FixtureFile.named("confluent-kafka-2.16.1-librdkafka-2.16.0", "ApiVersions-v3-rdk216.req.bin")
        let (header, request) = try KafkaRequestDecoder.decode(file.payload)
        #expect(header == KafkaRequestHeader(apiKey: 18, apiVersion: 3, correlationID: 1, clientID: "spillway-confluent"))
        guard case .apiVersions(let body) = request else { Issue.record("not ApiVersions: \(request)"); return }
        #expect(body.clientSoftwareName == "confluent-kafka-python")
        #expect(body.clientSoftwareVersion == "2.16.1-rdkafka-2.16.0")
    }

    @Test func metadataV12FromLibrdkafka216NamesItsTopic() throws {
        let file = FixtureFile.named("confluent-kafka-2.16.1-librdkafka-2.16.0", "Metadata-v13-rdk216.req.bin")
        let (header, request) = try KafkaRequestDecoder.decode(Self.decodable(file))
        #expect(header.correlationID == 3)
        guard case .metadata(let body) = request else { Issue.record("not Metadata: \(request)"); return }
        #expect(body.topics == ["fx-confluent-rdk216-none-acks0"])
        #expect(body.allowAutoTopicCreation)
        #expect(body.topicIDsWithoutName.isEmpty)
    }

    @Test func metadataV1FromSaramaAsksForAllTopics() throws {
        let (header, request) = try KafkaRequestDecoder.decode(FixtureFile.named("sarama-1.22.1", "Metadata-v1-rdk202.req.bin").payload)
        #expect(header == KafkaRequestHeader(apiKey: 3, apiVersion: 1, correlationID: 0, clientID: "spillway-sarama"))
        guard case .metadata(let body) = request else { Issue.record("not Metadata: \(request)"); return }
        #expect(body.topics == nil)
    }

    /// GetTelemetrySubscriptions (key 71), which librdkafka 2.16 sends: refused
    /// as an unsupported API, with the header so the listener can log it.
    @Test func telemetryRequestIsAnUnsupportedAPI() throws {
        let file = FixtureFile.named("confluent-kafka-2.16.1-librdkafka-2.16.0", "GetTelemetrySubscriptions-v0-rdk216.req.bin")
        let error = try #require(throws: KafkaWireError.self) { try KafkaRequestDecoder.decode(file.payload) }
        #expect(error.kind == .unsupportedAPI)
        #expect(error.header?.apiKey == 71)
        #expect(error.header?.clientID == "spillway-confluent")
        #expect(!error.answerWithApiVersionsError)
        #expect(error.description.contains("API key 71"))
    }

    /// Checks a decoded Produce request against the fixture's JSON, batch by
    /// batch and record by record.
    static func compare(header: KafkaRequestHeader, _ request: ProduceRequest, with json: [String: Any]) throws {
        #expect(Int(header.correlationID) == json["correlation_id"] as? Int)
        #expect(header.clientID == json["client_id"] as? String)
        #expect(request.transactionalID == json["transactional_id"] as? String)
        #expect(Int(request.acks) == json["acks"] as? Int)
        #expect(Int(request.timeoutMs) == json["timeout_ms"] as? Int)
        let topics = try #require(json["topics"] as? [[String: Any]])
        #expect(request.topics.count == topics.count)
        var recordCount = 0
        for (topic, expectedTopic) in zip(request.topics, topics) {
            #expect(topic.name == expectedTopic["name"] as? String)
            let partitions = try #require(expectedTopic["partitions"] as? [[String: Any]])
            #expect(topic.partitions.count == partitions.count)
            for (partition, expectedPartition) in zip(topic.partitions, partitions) {
                #expect(Int(partition.index) == expectedPartition["partition"] as? Int)
                let records = try #require(partition.records)
                let batches = try RecordBatchDecoder.decode(records, limits: .default)
                let expectedBatches = try #require(expectedPartition["batches"] as? [[String: Any]])
                #expect(batches.count == expectedBatches.count)
                for (batch, expected) in zip(batches, expectedBatches) {
                    compare(batch, with: expected)
                    recordCount += batch.records.count
                }
            }
        }
        #expect(recordCount > 0)
    }

    static func compare(_ batch: RecordBatch, with expected: [String: Any]) {
        #expect(Int(batch.baseOffset) == expected["base_offset"] as? Int)
        #expect(Int(batch.partitionLeaderEpoch) == expected["partition_leader_epoch"] as? Int)
        #expect("\(batch.compression)" == expected["codec"] as? String)
        #expect((batch.timestampType == .createTime ? "CreateTime" : "LogAppendTime") == expected["timestamp_type"] as? String)
        #expect(batch.isTransactional == expected["transactional"] as? Bool)
        #expect(batch.isControl == expected["control"] as? Bool)
        #expect(Int(batch.lastOffsetDelta) == expected["last_offset_delta"] as? Int)
        #expect(Int(batch.baseTimestamp) == expected["first_timestamp"] as? Int)
        #expect(Int(batch.maxTimestamp) == expected["max_timestamp"] as? Int)
        #expect(Int(batch.producerID) == expected["producer_id"] as? Int)
        #expect(Int(batch.producerEpoch) == expected["producer_epoch"] as? Int)
        #expect(Int(batch.baseSequence) == expected["base_sequence"] as? Int)
        #expect(batch.records.count == expected["record_count"] as? Int)
        let records = expected["records"] as? [[String: Any]] ?? []
        #expect(batch.records.count == records.count)
        for (record, expectedRecord) in zip(batch.records, records) {
            #expect(Int(record.offsetDelta) == expectedRecord["offset_delta"] as? Int)
            #expect(Int(record.timestamp) == expectedRecord["timestamp"] as? Int)
            #expect(FixtureBytes(expectedRecord["key"]).matches(record.key), "key of record \(record.offsetDelta)")
            #expect(FixtureBytes(expectedRecord["value"]).matches(record.value), "value of record \(record.offsetDelta)")
            let headers = expectedRecord["headers"] as? [[Any]] ?? []
            #expect(record.headers.count == headers.count)
            for (header, expectedHeader) in zip(record.headers, headers) {
                #expect(header.key == expectedHeader[0] as? String)
                #expect(FixtureBytes(expectedHeader[1]).matches(header.value), "header \(header.key) of record \(record.offsetDelta)")
            }
        }
    }
}
