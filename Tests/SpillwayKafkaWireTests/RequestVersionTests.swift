import NIOCore
import Testing

@testable import SpillwayKafkaWire

/// Every supported version of every request, written from Kafka's message specs
/// (with unknown tagged fields where the version is flexible), and the versions
/// and keys outside the table refused with their header.
@Suite struct RequestVersionTests {
    /// Tagged fields a newer client might send: skipped, never misread.
    static let futureTags: [(Int, [UInt8])] = [(0, [0xAA, 0xBB]), (7, []), (300, [0x01])]

    static func decode(_ writer: RequestWriter) throws -> (KafkaRequestHeader, KafkaRequest) {
        try KafkaRequestDecoder.decode(writer.buffer)
    }

    @Test(arguments: Array(Int16(0)...3))
    func apiVersions(_ version: Int16) throws {
        let flexible = version >= 3
        var writer = RequestWriter(key: 18, version: version, correlationID: 5, flexible: flexible, headerTags: Self.futureTags)
        if flexible {
            writer.string("sarama")
            writer.string("1.2.3")
            writer.tags(Self.futureTags)
        }
        let (header, request) = try Self.decode(writer)
        #expect(header == KafkaRequestHeader(apiKey: 18, apiVersion: version, correlationID: 5, clientID: "writer"))
        guard case .apiVersions(let body) = request else { Issue.record("\(request)"); return }
        #expect(body == (flexible ? ApiVersionsRequest(clientSoftwareName: "sarama", clientSoftwareVersion: "1.2.3") : ApiVersionsRequest()))
    }

    @Test(arguments: Array(Int16(1)...12))
    func metadata(_ version: Int16) throws {
        let flexible = version >= 9
        let id: [UInt8] = Array(repeating: 0x11, count: 16)
        for topics in [["orders", "é-topic"], nil, []] as [[String]?] {
            var writer = RequestWriter(key: 3, version: version, flexible: flexible, headerTags: Self.futureTags)
            writer.count(topics.map { $0.count + (version >= 12 ? 1 : 0) })
            for name in topics ?? [] {
                if version >= 10 { writer.buffer.writeBytes([UInt8](repeating: 0, count: 16)) }
                writer.string(name)
                writer.tags(Self.futureTags)
            }
            if topics != nil, version >= 12 {
                writer.buffer.writeBytes(id)
                writer.string(nil)
                writer.tags()
            }
            if version >= 4 { writer.bool(false) }
            if (8...10).contains(version) { writer.bool(true) }
            if version >= 8 { writer.bool(true) }
            writer.tags(Self.futureTags)
            let (_, request) = try Self.decode(writer)
            guard case .metadata(let body) = request else { Issue.record("\(request)"); return }
            #expect(body.topics == topics, "v\(version)")
            #expect(body.allowAutoTopicCreation == (version < 4))
            #expect(body.topicIDsWithoutName == (topics != nil && version >= 12 ? [id] : []))
        }
    }

    @Test(arguments: Array(Int16(3)...9))
    func produce(_ version: Int16) throws {
        let flexible = version >= 9
        let batch = RecordBatchEncoder.encode(
            records: [KafkaRecord(timestamp: 1, offsetDelta: 0, key: nil, value: Array("v".utf8))], compression: .gzip
        )
        var writer = RequestWriter(key: 0, version: version, correlationID: 1234, clientID: nil, flexible: flexible, headerTags: Self.futureTags)
        writer.string("txn")
        writer.int16(-1)
        writer.int32(30_000)
        writer.count(2)
        for topic in ["a", "b"] {
            writer.string(topic)
            writer.count(2)
            writer.int32(0)
            writer.bytes(batch)
            writer.tags(Self.futureTags)
            writer.int32(7)
            writer.bytes(nil)
            writer.tags()
            writer.tags()
        }
        writer.tags(Self.futureTags)
        let (header, request) = try Self.decode(writer)
        #expect(header == KafkaRequestHeader(apiKey: 0, apiVersion: version, correlationID: 1234, clientID: nil))
        guard case .produce(let body) = request else { Issue.record("\(request)"); return }
        #expect(body.transactionalID == "txn")
        #expect(body.acks == -1)
        #expect(body.timeoutMs == 30_000)
        #expect(body.topics.map(\.name) == ["a", "b"])
        for topic in body.topics {
            #expect(topic.partitions.map(\.index) == [0, 7])
            #expect(topic.partitions[0].records == batch)
            #expect(topic.partitions[1].records == nil)
            let decoded = try RecordBatchDecoder.decode(try #require(topic.partitions[0].records), limits: .default)
            #expect(decoded.first?.records.first?.value == Array("v".utf8))
        }
    }

    @Test(arguments: Array(Int16(0)...4))
    func initProducerID(_ version: Int16) throws {
        let flexible = version >= 2
        var writer = RequestWriter(key: 22, version: version, flexible: flexible, headerTags: Self.futureTags)
        writer.string(nil)
        writer.int32(60_000)
        if version >= 3 {
            writer.int64(99)
            writer.int16(4)
        }
        writer.tags(Self.futureTags)
        let (_, request) = try Self.decode(writer)
        guard case .initProducerID(let body) = request else { Issue.record("\(request)"); return }
        #expect(body == InitProducerIDRequest(
            transactionalID: nil, transactionTimeoutMs: 60_000, producerID: version >= 3 ? 99 : -1, producerEpoch: version >= 3 ? 4 : -1
        ))
    }

    @Test(arguments: [(Int16(0), Int16(2)), (0, 10), (0, -1), (3, 0), (3, 13), (22, 5), (18, -1)] as [(Int16, Int16)])
    func versionsOutsideTheTableRefused(key: Int16, version: Int16) {
        let writer = RequestWriter(key: key, version: version, correlationID: 42, flexible: false)
        let error = #expect(throws: KafkaWireError.self) { try Self.decode(writer) }
        #expect(error?.kind == .unsupportedVersion)
        #expect(error?.header?.correlationID == 42)
        #expect(error?.answerWithApiVersionsError == (key == 18))
        #expect(error?.description.contains("accepts versions") == true)
    }

    @Test(arguments: [Int16(1), 2, 8, 19, 32, 71, -1, 1000])
    func unknownKeysRefused(key: Int16) {
        let writer = RequestWriter(key: key, version: 0, correlationID: 43, flexible: false)
        let error = #expect(throws: KafkaWireError.self) { try Self.decode(writer) }
        #expect(error?.kind == .unsupportedAPI)
        #expect(error?.header?.apiKey == key)
    }

    /// Cut anywhere, a request is malformed, never a crash; once the header is
    /// whole, the error carries it.
    @Test func everyTruncationMalformed() {
        var writer = RequestWriter(key: 3, version: 9, correlationID: 8, flexible: true)
        writer.count(1)
        writer.string("topic")
        writer.tags()
        writer.bool(true)
        writer.bool(false)
        writer.tags()
        let whole = writer.buffer
        for length in 0..<whole.readableBytes {
            let cut = whole.getSlice(at: 0, length: length)!
            let error = #expect(throws: KafkaWireError.self) { try KafkaRequestDecoder.decode(cut) }
            #expect(error?.kind == .malformed, "cut at \(length)")
            #expect((error?.header != nil) == (length >= 16), "cut at \(length)")
        }
    }

    @Test func trailingBytesMalformed() {
        var writer = RequestWriter(key: 18, version: 2, flexible: false)
        writer.int8(0)
        let error = #expect(throws: KafkaWireError.self) { try Self.decode(writer) }
        #expect(error?.kind == .malformed)
        #expect(error?.description.contains("1 bytes left") == true)
    }

    @Test func nullTopicArrayInProduceMalformed() {
        var writer = RequestWriter(key: 0, version: 7, flexible: false)
        writer.string(nil)
        writer.int16(1)
        writer.int32(1000)
        writer.count(nil)
        let error = #expect(throws: KafkaWireError.self) { try Self.decode(writer) }
        #expect(error?.kind == .malformed)
    }
}
