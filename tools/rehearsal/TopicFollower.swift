import Foundation
import NIOConcurrencyHelpers
import SpillwayTestKit

/// Reads the chaos topic from its first record while the rehearsal runs, on a
/// thread of its own. Reading only at the end would miss records: librdkafka's
/// mock broker keeps about 5 MiB per partition and silently drops the oldest.
package final class TopicFollower: Sendable {
    package struct Figures: Sendable {
        /// Times each `chaos-N` id was read.
        package var counts: [Int: Int] = [:]
        package var records = 0
        /// Records whose value starts with `fidelity-`, kept whole to compare field by field.
        package var samples: [ConsumedRecord] = []
        /// Records the broker dropped before they were read.
        package var missed = 0
        /// Set by `catchUp`: read until these offsets, then say so.
        var targets: [Int32: Int64]?
        var caughtUp = false
        var failure: String?
        var stopping = false
    }

    private let state = NIOLockedValueBox(Figures())

    package init(bootstrapServers: String, topic: String) throws {
        let consumer = try TopicConsumer(bootstrapServers: bootstrapServers, topic: topic)
        nonisolated(unsafe) let owned = consumer
        Thread.detachNewThread { [state] in Self.follow(owned, state: state) }
    }

    package var figures: Figures { state.withLockedValue { $0 } }

    /// Returns once everything the broker holds now has been read.
    package func catchUp(timeout: Duration) async throws {
        state.withLockedValue { $0.caughtUp = false; $0.targets = [:] }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (done, failure) = state.withLockedValue { ($0.caughtUp, $0.failure) }
            if let failure { throw ChaosFailure(failure) }
            if done { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ChaosFailure("reading the topic back did not catch up within \(timeout) (\(figures.records) records read)")
    }

    package func stop() {
        state.withLockedValue { $0.stopping = true }
    }

    private static func follow(_ consumer: TopicConsumer, state: NIOLockedValueBox<Figures>) {
        var batch: [Int] = []
        var samples: [ConsumedRecord] = []
        while !state.withLockedValue({ $0.stopping }) {
            batch.removeAll(keepingCapacity: true)
            samples.removeAll()
            var polled = 0
            // Take up to a few thousand records per lock.
            while polled < 4096, case let .record(record) = consumer.poll(milliseconds: polled == 0 ? 100 : 0) {
                polled += 1
                let text = String(decoding: record.value, as: UTF8.self)
                if text.hasPrefix("chaos-"), let id = Int(text.dropFirst(6)) { batch.append(id) }
                if text.hasPrefix("fidelity-") { samples.append(record) }
            }
            let wantsTargets = state.withLockedValue { figures in
                for id in batch { figures.counts[id, default: 0] += 1 }
                figures.samples += samples
                figures.records += polled
                figures.missed = consumer.missed
                return figures.targets?.isEmpty == true
            }
            if wantsTargets {
                do {
                    let marks = try consumer.highWatermarks(timeout: .seconds(10))
                    state.withLockedValue { $0.targets = marks }
                } catch {
                    state.withLockedValue { $0.failure = "\(error)" }
                }
            }
            state.withLockedValue { figures in
                if let targets = figures.targets, !targets.isEmpty, consumer.hasReached(targets) {
                    figures.caughtUp = true
                    figures.targets = nil
                }
            }
        }
    }
}
