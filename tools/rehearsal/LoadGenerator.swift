import Foundation
import NIOConcurrencyHelpers

/// Sends records with unique ids (`chaos-N`) to whichever service is current,
/// remembering which ones were acknowledged (202) and the slowest answer:
/// one record per request with a pause between (the chaos profiles), or NDJSON
/// batches paced to a steady rate up to a number of records (the outage benchmark).
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
            do {
                let (status, _) = try await HTTP.send("POST", "\(ingest)/v1/topics/\(topic)", body: Data("chaos-\(id)".utf8))
                let elapsed = ContinuousClock.now - started
                state.withLockedValue { figures in
                    if elapsed > figures.slowest { figures.slowest = elapsed; figures.slowestSentAt = sentAt }
                    if status == 202 { figures.acknowledged.insert(id) } else { figures.refused += 1 }
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
