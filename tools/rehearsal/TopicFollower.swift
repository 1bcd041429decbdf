import Foundation
import NIOConcurrencyHelpers
import SpillwayTestKit

/// Reads the chaos topic from its first record while the rehearsal runs, on a
/// thread of its own. Reading only at the end would miss records: librdkafka's
/// mock broker keeps about 5 MiB per partition and silently drops the oldest.
package final class TopicFollower: Sendable {
    /// One copy of a `chaos-N` record as the follower read it: what tells a
    /// duplicate's cause (its marks) and a record's delivery latency.
    package struct Copy: Sendable {
        package var partition: Int32
        package var offset: Int64
        /// When the follower read it, in milliseconds since 1970.
        package var readAtMs: Int64
        /// The record's timestamp, set by Spillway when it took the record.
        package var timestampMs: Int64?
        /// The copy carries `spillway-possibly-persisted: 1`: Spillway sent it
        /// again after a delivery that may have reached Kafka.
        package var markedPossiblyPersisted: Bool
        /// The value of the record id header, when there is one.
        package var recordID: String?

        package init(partition: Int32, offset: Int64, readAtMs: Int64, timestampMs: Int64?, markedPossiblyPersisted: Bool, recordID: String?) {
            self.partition = partition
            self.offset = offset
            self.readAtMs = readAtMs
            self.timestampMs = timestampMs
            self.markedPossiblyPersisted = markedPossiblyPersisted
            self.recordID = recordID
        }
    }

    package struct Figures: Sendable {
        /// Times each `chaos-N` id was read.
        package var counts: [Int: Int] = [:]
        /// The first copy read of each `chaos-N` id.
        package var firstCopies: [Int: Copy] = [:]
        /// The copies after the first, for ids read more than once.
        package var laterCopies: [Int: [Copy]] = [:]
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

        package init() {}
    }

    private let state = NIOLockedValueBox(Figures())

    /// - Parameter recordIDHeader: the header the service stamps a record id in
    ///   (`record_id_header`), kept with each copy.
    package init(bootstrapServers: String, topic: String, recordIDHeader: String? = nil) throws {
        let consumer = try TopicConsumer(bootstrapServers: bootstrapServers, topic: topic, properties: Self.promptReader)
        nonisolated(unsafe) let owned = consumer
        Thread.detachNewThread { [state] in Self.follow(owned, recordIDHeader: recordIDHeader, state: state) }
    }

    /// Every copy of each id read more than once, first copy first.
    package static func duplicates(in figures: Figures) -> [Int: [Copy]] {
        var duplicates: [Int: [Copy]] = [:]
        for (id, later) in figures.laterCopies {
            duplicates[id] = (figures.firstCopies[id].map { [$0] } ?? []) + later
        }
        return duplicates
    }

    /// Records read so far, and distinct `chaos-N` ids among them, without copying the figures.
    package var progress: (records: Int, ids: Int) { state.withLockedValue { ($0.records, $0.counts.count) } }

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

    /// A record's arrival is timed when it is read: so read it as soon as the
    /// broker has it (librdkafka's defaults let a fetch wait 500 ms for data, and
    /// a reconnect back off up to 10 s after an outage).
    static let promptReader = [
        "fetch.wait.max.ms": "10", "fetch.error.backoff.ms": "10",
        "reconnect.backoff.ms": "50", "reconnect.backoff.max.ms": "200",
    ]

    /// The header Spillway adds to a record it sends again after a delivery
    /// that may have reached Kafka (with `record_id_header` set).
    package static let possiblyPersistedHeader = "spillway-possibly-persisted"
    static let possiblyPersistedValue = Array("1".utf8)

    private static func follow(_ consumer: TopicConsumer, recordIDHeader: String?, state: NIOLockedValueBox<Figures>) {
        var batch: [(id: Int, copy: Copy)] = []
        var samples: [ConsumedRecord] = []
        while !state.withLockedValue({ $0.stopping }) {
            batch.removeAll(keepingCapacity: true)
            samples.removeAll()
            var polled = 0
            // Take up to a few thousand records per lock.
            while polled < 4096, case let .record(record) = consumer.poll(milliseconds: polled == 0 ? 100 : 0) {
                polled += 1
                let text = String(decoding: record.value ?? [], as: UTF8.self)
                if text.hasPrefix("chaos-"), let id = Int(text.dropFirst(6)) {
                    batch.append((id, Copy(
                        partition: record.partition, offset: record.offset,
                        readAtMs: Int64((Date().timeIntervalSince1970 * 1000).rounded()), timestampMs: record.timestamp,
                        markedPossiblyPersisted: record.headers[Self.possiblyPersistedHeader] == Self.possiblyPersistedValue,
                        recordID: recordIDHeader.flatMap { record.headers[$0] ?? nil }.map { String(decoding: $0, as: UTF8.self) }
                    )))
                }
                if text.hasPrefix("fidelity-") { samples.append(record) }
            }
            let wantsTargets = state.withLockedValue { figures in
                for (id, copy) in batch {
                    figures.counts[id, default: 0] += 1
                    if figures.firstCopies[id] == nil {
                        figures.firstCopies[id] = copy
                    } else {
                        figures.laterCopies[id, default: []].append(copy)
                    }
                }
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
