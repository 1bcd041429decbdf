import SpillwayKafkaWire
import Synchronization

/// The answers to one Produce request, gathered partition by partition as each
/// is answered (from any thread); `completion` gets the whole response once,
/// when the last partition is answered, in the request's own order.
final class ProduceGather: Sendable {
    private struct Slots {
        var topics: [ProduceResponse.Topic]
        var missing: Int
        var completion: (@Sendable (ProduceResponse) -> Void)?
    }

    private let slots: Mutex<Slots>

    /// `shape`: each topic's name and its partitions' indexes, as asked.
    init(shape: [(name: String, partitions: [Int32])], completion: @escaping @Sendable (ProduceResponse) -> Void) {
        let topics = shape.map { topic in
            ProduceResponse.Topic(
                name: topic.name,
                partitions: topic.partitions.map { ProduceResponse.Partition(index: $0, errorCode: .none, baseOffset: -1) }
            )
        }
        let missing = shape.reduce(0) { $0 + $1.partitions.count }
        slots = Mutex(Slots(topics: topics, missing: missing, completion: missing == 0 ? nil : completion))
        if missing == 0 { completion(ProduceResponse(topics: topics, throttleTimeMs: 0)) }
    }

    /// The answer for the `partition`-th partition of the `topic`-th topic.
    func fill(topic: Int, partition: Int, with answer: ProduceResponse.Partition) {
        let finished = slots.withLock { slots -> (@Sendable (ProduceResponse) -> Void, [ProduceResponse.Topic])? in
            slots.topics[topic].partitions[partition] = answer
            slots.missing -= 1
            guard slots.missing == 0, let completion = slots.completion else { return nil }
            slots.completion = nil
            return (completion, slots.topics)
        }
        if let (completion, topics) = finished { completion(ProduceResponse(topics: topics, throttleTimeMs: 0)) }
    }
}
