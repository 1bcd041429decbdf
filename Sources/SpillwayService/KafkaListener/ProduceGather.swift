import SpillwayKafkaWire

/// The answers to one Produce request, gathered partition by partition as each
/// is answered (from any thread); `completion` gets the whole response once,
/// when the last partition is answered, in the request's own order.
struct ProduceGather: Sendable {
    private let slots: AnswerSlots<ProduceResponse.Partition>
    /// Where each topic's partitions start among the slots.
    private let firstSlot: [Int]

    /// `shape`: each topic's name and its partitions' indexes, as asked.
    init(shape: [(name: String, partitions: [Int32])], completion: @escaping @Sendable (ProduceResponse) -> Void) {
        var firstSlot: [Int] = []
        var count = 0
        for topic in shape {
            firstSlot.append(count)
            count += topic.partitions.count
        }
        self.firstSlot = firstSlot
        let names = shape.map(\.name)
        let counts = shape.map(\.partitions.count)
        slots = AnswerSlots(count) { answers in
            var topics: [ProduceResponse.Topic] = []
            var next = 0
            for (name, count) in zip(names, counts) {
                topics.append(ProduceResponse.Topic(name: name, partitions: Array(answers[next..<(next + count)])))
                next += count
            }
            completion(ProduceResponse(topics: topics, throttleTimeMs: 0))
        }
    }

    /// The answer for the `partition`-th partition of the `topic`-th topic.
    func fill(topic: Int, partition: Int, with answer: ProduceResponse.Partition) {
        slots.fill(firstSlot[topic] + partition, answer)
    }
}
