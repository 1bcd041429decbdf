import Foundation
import NIOConcurrencyHelpers
import SpillwayTestKit

/// Sends `chaos-N` records through the current service's Kafka listener with a
/// plain librdkafka producer, as an unchanged Kafka application would: batches
/// alternating `acks=1` and `acks=all`, so the rehearsal checks the listener's
/// promise beside HTTP's. A record whose delivery report says success was
/// answered as on disk or in Kafka, so it is owed across every fault, SIGKILL
/// included. Ids start at `firstID`, apart from `LoadGenerator`'s.
package final class ListenerLoad: Sendable {
    package struct Figures: Sendable {
        package var sent = 0
        /// Reported delivered at `acks=1` or `all`: owed whatever happens.
        package var acknowledged = Set<Int>()
        /// Kafka's offsets, "partition/offset" by id, where the reports carry them.
        package var kafkaPositions: [Int: String] = [:]
        /// Delivery reports with an error, by librdkafka's error name: not owed.
        package var errors: [String: Int] = [:]
        package var batches = 0

        package init() {}
    }

    package static let firstID = 100_000_000

    private let state = NIOLockedValueBox(Figures())
    private let target = NIOLockedValueBox<String?>(nil)
    package let topic: String
    package let batchSize: Int
    package let pause: Duration

    package init(topic: String, batchSize: Int = 40, pause: Duration = .milliseconds(50)) {
        self.topic = topic
        self.batchSize = batchSize
        self.pause = pause
    }

    /// Where to produce: the current service's Kafka listener (`HOST:PORT`), or `nil` while none is up.
    package func point(at listener: String?) {
        target.withLockedValue { $0 = listener }
    }

    package var figures: Figures { state.withLockedValue { $0 } }

    /// Produces batch after batch until the task is cancelled. Each batch has a
    /// producer of its own, so a restarted service (a new port) is found at once,
    /// and `retries=0`: a record is sent once, so any copy beyond the first is
    /// Spillway's to explain.
    package func run() async {
        var number = 0
        while !Task.isCancelled {
            guard let listener = target.withLockedValue({ $0 }) else {
                try? await Task.sleep(for: .milliseconds(50))
                continue
            }
            let first = Self.firstID + number * batchSize
            let ids = first..<(first + batchSize)
            let acks = number.isMultiple(of: 2) ? "1" : "all"
            number += 1
            let records = ids.map { ProducedRecord(key: Array("k\($0 % 7)".utf8), value: Array("chaos-\($0)".utf8)) }
            state.withLockedValue { $0.sent += records.count; $0.batches += 1 }
            let reports: [ProducerReport]
            do {
                reports = try await KafkaTestProducer.produce(
                    records, to: topic, bootstrapServers: listener,
                    properties: ["acks": acks, "retries": "0", "message.timeout.ms": "5000", "linger.ms": "10"],
                    timeout: .seconds(30)
                )
            } catch {
                state.withLockedValue { $0.errors["no reports: \(error)", default: 0] += records.count }
                continue
            }
            // librdkafka numbers a batch answered with offset -1 as -1, 0, 1, …:
            // offsets count only when no record of the call got -1.
            let offsetsAreKafkas = reports.allSatisfy { $0.error != nil || $0.offset >= 0 }
            state.withLockedValue { figures in
                for (id, report) in zip(ids, reports) {
                    if let error = report.error {
                        figures.errors[error, default: 0] += 1
                        continue
                    }
                    figures.acknowledged.insert(id)
                    if offsetsAreKafkas { figures.kafkaPositions[id] = "\(report.partition)/\(report.offset)" }
                }
            }
            try? await Task.sleep(for: pause)
        }
    }
}
