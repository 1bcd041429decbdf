import Foundation
import NIOCore
import SpillwayKafkaWire

/// `spillway-fuzz --target kafka-wire`: seeded mutations of Kafka request frames
/// and record sets (every codec) fed to the wire decoders. Oracles: no crash, no
/// step slower than `stepBudget` (a hang), errors carry a reason, and every
/// decoded batch re-encodes to one that decodes to the same records.
struct KafkaWireFuzz {
    var frames: ByteMutator
    var recordSets: ByteMutator
    var random: FuzzRandom
    private(set) var count = 0
    private(set) var decodedRequests = 0
    private(set) var decodedBatches = 0
    /// Small, so bombs in the corpus hit the bound quickly.
    static let limits = RecordBatchLimits(maxDecompressedBytes: 1 << 20, maxRecordsPerBatch: 100_000)
    static let stepBudget: Duration = .seconds(5)

    init(seed: UInt64, corpusFolder: String) throws {
        random = FuzzRandom(seed: seed ^ 0x6B61_666B_61)
        let sets = KafkaWireSeeds.recordSets()
        var frameSeeds = KafkaWireSeeds.frames(recordSets: sets)
        frameSeeds += try KafkaWireSeeds.capturedFrames(in: corpusFolder)
        frames = ByteMutator(corpus: frameSeeds, random: FuzzRandom(seed: seed))
        recordSets = ByteMutator(corpus: sets, random: FuzzRandom(seed: seed &+ 1))
    }

    var seedCount: Int { frames.corpus.count + recordSets.corpus.count }

    /// One mutated input; the violation if an oracle failed, with the input.
    mutating func step() -> (input: [UInt8], kind: String, problem: String)? {
        count += 1
        let started = ContinuousClock.now
        let result: (input: [UInt8], kind: String, problem: String)?
        if random.chance(50) {
            let frame = frames.mutate()
            result = exerciseFrame(frame).map { (frame, "frame", $0) }
        } else {
            var set = recordSets.mutate()
            // Half the time the CRCs are made right again, so mutations reach the records.
            if random.chance(50) { KafkaWireSeeds.resign(&set) }
            result = exerciseRecordSet(ByteBuffer(bytes: set)).map { (set, "records", $0) }
        }
        if let result { return result }
        let elapsed = ContinuousClock.now - started
        return elapsed > Self.stepBudget ? ([], "slow", "one input took \(elapsed) (budget \(Self.stepBudget))") : nil
    }

    private mutating func exerciseFrame(_ payload: [UInt8]) -> String? {
        var framed = ByteBuffer()
        framed.writeInteger(Int32(payload.count))
        framed.writeBytes(payload)
        let frame: ByteBuffer
        do throws(KafkaWireError) {
            guard let next = try KafkaFrameDecoder.nextFrame(&framed, maxFrameBytes: 1 << 20) else { return "a whole frame was not emitted" }
            frame = next
        } catch {
            return payload.count > 1 << 20 ? nil : "frame refused: \(error)"
        }
        do throws(KafkaWireError) {
            let (header, request) = try KafkaRequestDecoder.decode(frame)
            decodedRequests += 1
            if case .produce(let produce) = request {
                for partition in produce.topics.flatMap(\.partitions) {
                    if let records = partition.records, let problem = exerciseRecordSet(records) { return problem }
                }
            }
            var response = ByteBuffer()
            KafkaResponseEncoder.encode(Self.answer(request), answering: header, into: &response)
            guard response.getInteger(at: 0, as: Int32.self) == Int32(response.readableBytes - 4) else { return "response size prefix is wrong" }
        } catch {
            if error.description.isEmpty { return "a request error without a message" }
            if error.kind != .malformed, error.header == nil { return "\(error.kind) without the header" }
        }
        return nil
    }

    private mutating func exerciseRecordSet(_ set: ByteBuffer) -> String? {
        let batches: [RecordBatch]
        do throws(RecordBatchError) {
            batches = try RecordBatchDecoder.decode(set, limits: Self.limits)
        } catch {
            return error.reason.isEmpty || error.description.isEmpty ? "a record batch error without a reason" : nil
        }
        decodedBatches += batches.count
        for batch in batches {
            guard !batch.records.isEmpty, batch.records.count <= Self.limits.maxRecordsPerBatch else {
                return "a batch of \(batch.records.count) records decoded"
            }
            let again: [RecordBatch]
            do throws(RecordBatchError) {
                again = try RecordBatchDecoder.decode(RecordBatchEncoder.encode(batch), limits: Self.limits)
            } catch {
                return "a decoded batch re-encoded does not decode: \(error)"
            }
            guard again.count == 1, again[0].records == batch.records else { return "a decoded batch re-encoded decodes to other records" }
            guard again[0].isTransactional == batch.isTransactional, again[0].isControl == batch.isControl,
                again[0].producerID == batch.producerID, again[0].baseSequence == batch.baseSequence
            else { return "a decoded batch re-encoded has other attributes" }
        }
        return nil
    }

    /// A response of the right kind, so the encoder runs at every decoded version.
    static func answer(_ request: KafkaRequest) -> KafkaResponse {
        switch request {
        case .apiVersions: .apiVersions(ApiVersionsResponse())
        case .metadata(let metadata):
            .metadata(MetadataResponse(
                brokers: [MetadataResponse.Broker(nodeID: 1, host: "localhost", port: 9092)], clusterID: "fuzz", controllerID: 1,
                topics: (metadata.topics ?? ["all"]).map {
                    MetadataResponse.TopicMetadata(name: $0, partitions: [MetadataResponse.PartitionMetadata(index: 0, leaderID: 1, replicas: [1], isr: [1])])
                }
            ))
        case .produce(let produce):
            .produce(ProduceResponse(topics: produce.topics.map { topic in
                ProduceResponse.Topic(name: topic.name, partitions: topic.partitions.map {
                    ProduceResponse.Partition(index: $0.index, errorCode: .corruptMessage, baseOffset: -1, recordErrors: [(batchIndex: 0, message: "x")])
                })
            }))
        case .initProducerID: .initProducerID(InitProducerIDResponse(errorCode: .none, producerID: 1, producerEpoch: 0))
        }
    }
}
