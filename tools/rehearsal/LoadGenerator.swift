import Foundation
import NIOConcurrencyHelpers

/// Sends records with unique ids (`chaos-N`) to whichever service is current,
/// remembering which ones were acknowledged (202, or 200 from Kafka) and the slowest answer:
/// one record per request with a pause between (the chaos profiles), or NDJSON
/// batches paced to a steady rate up to a number of records (the outage benchmark).
/// One record per request: one in ten asks for ack level `spool`, one in ten for
/// `kafka` (see `level(of:)`); those answered as on disk or in Kafka must never be
/// missing, and Kafka's answers must be found at the partition and offset they name.
package final class LoadGenerator: Sendable {
    /// Paced NDJSON batches (`POST /v1/topics/{topic}/records`): batch `k` is
    /// due `k × size / recordsPerSecond` after `run` starts, whatever happened to
    /// the batches before it, as clients keep producing while a service is down.
    package struct Batches: Sendable {
        package var size: Int
        package var recordsPerSecond: Double
        /// Ids `0..<limit`, then the senders stop.
        package var limit: Int

        package init(size: Int, recordsPerSecond: Double, limit: Int) {
            self.size = size
            self.recordsPerSecond = recordsPerSecond
            self.limit = limit
        }
    }

    package struct Figures: Sendable {
        package var acknowledged = Set<Int>()
        /// Answered with `reached` `spool` or `kafka`: owed whatever happens (SIGKILL included).
        package var durable = Set<Int>()
        /// Kafka's answers: "partition/offset" by id.
        package var kafkaPositions: [Int: String] = [:]
        /// Requests sent at `spool`/`kafka`, and the slowest of their answers (bounded by `ack.timeout_ms`).
        package var sentWaiting = 0
        package var slowestWaiting: Duration = .zero
        package var refused = 0
        package var unreachable = 0
        package var slowest: Duration = .zero
        /// When the slowest request was sent, to tell which phase it fell in.
        package var slowestSentAt: Date?
        package var nextID = 0
        /// Batches: records the service's answers said it dropped at once (counted by it).
        package var droppedOnArrival = 0

        package init() {}
    }

    private let state = NIOLockedValueBox(Figures())
    private let target = NIOLockedValueBox<String?>(nil)
    package let topic: String
    package let concurrency: Int
    private let pause: NIOLockedValueBox<Duration>
    private let batches: Batches?
    /// When `run` started: batches are paced from here.
    private let started = NIOLockedValueBox<ContinuousClock.Instant?>(nil)

    package init(topic: String, concurrency: Int, pause: Duration) {
        self.topic = topic
        self.concurrency = concurrency
        self.pause = NIOLockedValueBox(pause)
        batches = nil
    }

    package init(topic: String, concurrency: Int, batches: Batches) {
        self.topic = topic
        self.concurrency = concurrency
        pause = NIOLockedValueBox(.zero)
        self.batches = batches
    }

    /// Changes each sender's pause between requests: `.zero` for a burst at full speed.
    package func setPause(_ newPause: Duration) {
        pause.withLockedValue { $0 = newPause }
    }

    /// Where to send: the current service's ingest address, or `nil` while none is up.
    package func point(at ingest: String?) {
        target.withLockedValue { $0 = ingest }
    }

    package var figures: Figures { state.withLockedValue { $0 } }

    /// The acknowledgement level a single-record request asks for, by its id:
    /// `nil` for the default (`memory`).
    package static func level(of id: Int) -> String? {
        switch id % 10 {
        case 3: "spool"
        case 7: "kafka"
        default: nil
        }
    }

    /// Runs the senders until the task is cancelled (or, with batches, every id was sent).
    package func run() async {
        let start = ContinuousClock.now
        started.withLockedValue { $0 = start }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    if let batches = self.batches { await self.batchSender(batches, from: start) } else { await self.sender() }
                }
            }
        }
    }

    /// When `run` started, once it has.
    package var startedAt: ContinuousClock.Instant? { started.withLockedValue { $0 } }

    private func batchSender(_ batches: Batches, from start: ContinuousClock.Instant) async {
        struct Answer: Decodable { var dropped: Int }
        while !Task.isCancelled {
            let first: Int? = state.withLockedValue { figures in
                guard figures.nextID < batches.limit else { return nil }
                defer { figures.nextID = min(batches.limit, figures.nextID + batches.size) }
                return figures.nextID
            }
            guard let first else { return }
            let ids = first..<min(batches.limit, first + batches.size)
            try? await Task.sleep(until: start + .seconds(Double(first) / batches.recordsPerSecond), clock: .continuous)
            guard let ingest = target.withLockedValue({ $0 }) else {
                state.withLockedValue { $0.unreachable += 1 }
                continue
            }
            let body = ids.map { "{\"value\":\"chaos-\($0)\"}" }.joined(separator: "\n")
            let sent = ContinuousClock.now
            let sentAt = Date()
            do {
                let (status, answer) = try await HTTP.send(
                    "POST", "\(ingest)/v1/topics/\(topic)/records", body: Data(body.utf8), contentType: "application/x-ndjson"
                )
                let elapsed = ContinuousClock.now - sent
                let dropped = (try? JSONDecoder().decode(Answer.self, from: Data(answer.utf8)))?.dropped ?? 0
                state.withLockedValue { figures in
                    if elapsed > figures.slowest { figures.slowest = elapsed; figures.slowestSentAt = sentAt }
                    if status == 202 {
                        figures.acknowledged.formUnion(ids)
                        figures.droppedOnArrival += dropped
                    } else {
                        figures.refused += 1
                    }
                }
            } catch {
                // No service there (killed, not yet restarted): not acknowledged, so not owed.
                state.withLockedValue { $0.unreachable += 1 }
            }
        }
    }

    private func sender() async {
        while !Task.isCancelled {
            guard let ingest = target.withLockedValue({ $0 }) else {
                try? await Task.sleep(for: .milliseconds(20))
                continue
            }
            let id = state.withLockedValue { figures in
                defer { figures.nextID += 1 }
                return figures.nextID
            }
            let started = ContinuousClock.now
            let sentAt = Date()
            let level = Self.level(of: id)
            do {
                let (status, body) = try await HTTP.send(
                    "POST", "\(ingest)/v1/topics/\(topic)", body: Data("chaos-\(id)".utf8), headers: level.map { ["X-Spillway-Ack": $0] } ?? [:]
                )
                let elapsed = ContinuousClock.now - started
                let reply = level == nil ? nil : (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
                state.withLockedValue { figures in
                    if level == nil {
                        if elapsed > figures.slowest { figures.slowest = elapsed; figures.slowestSentAt = sentAt }
                    } else {
                        figures.sentWaiting += 1
                        figures.slowestWaiting = max(figures.slowestWaiting, elapsed)
                    }
                    guard status == 202 || status == 200 else {
                        figures.refused += 1
                        return
                    }
                    figures.acknowledged.insert(id)
                    if let reply, let reached = reply["reached"] as? String, reached == "spool" || reached == "kafka" {
                        figures.durable.insert(id)
                        if let partition = reply["partition"] as? Int, let offset = reply["offset"] as? Int {
                            figures.kafkaPositions[id] = "\(partition)/\(offset)"
                        }
                    }
                }
            } catch {
                // The service is restarting: not acknowledged, so not owed.
                state.withLockedValue { $0.unreachable += 1 }
            }
            let wait = pause.withLockedValue { $0 }
            if wait > .zero { try? await Task.sleep(for: wait) } else { await Task.yield() }
        }
    }
}
