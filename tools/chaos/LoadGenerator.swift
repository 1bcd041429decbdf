import Foundation
import NIOConcurrencyHelpers

/// Sends records with unique ids (`chaos-N`) to whichever service is current,
/// remembering which ones were acknowledged (202, or 200 from Kafka) and the
/// slowest answer. One record in ten asks for ack level `spool`, one in ten for
/// `kafka`: those answered as on disk or in Kafka must never be missing, and
/// Kafka's answers must be found at the partition and offset they name.
final class LoadGenerator: Sendable {
    struct Figures: Sendable {
        var acknowledged = Set<Int>()
        /// Answered with `reached` `spool` or `kafka`: owed whatever happens (SIGKILL included).
        var durable = Set<Int>()
        /// Kafka's answers: "partition/offset" by id.
        var kafkaPositions: [Int: String] = [:]
        /// Requests sent at `spool`/`kafka`, and the slowest of their answers (bounded by `ack.timeout_ms`).
        var sentWaiting = 0
        var slowestWaiting: Duration = .zero
        var refused = 0
        var unreachable = 0
        var slowest: Duration = .zero
        var nextID = 0
    }

    private let state = NIOLockedValueBox(Figures())
    private let target = NIOLockedValueBox<String?>(nil)
    let topic: String
    let concurrency: Int
    let pause: Duration

    init(topic: String, concurrency: Int, pause: Duration) {
        self.topic = topic
        self.concurrency = concurrency
        self.pause = pause
    }

    /// Where to send: the current service's ingest address, or `nil` while none is up.
    func point(at ingest: String?) {
        target.withLockedValue { $0 = ingest }
    }

    var figures: Figures { state.withLockedValue { $0 } }

    /// The level a record asks for, by its id.
    static func level(of id: Int) -> String? {
        switch id % 10 {
        case 3: "spool"
        case 7: "kafka"
        default: nil
        }
    }

    /// Runs the senders until the task is cancelled.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask { await self.sender() }
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
            let level = Self.level(of: id)
            do {
                let (status, body) = try await HTTP.send(
                    "POST", "\(ingest)/v1/topics/\(topic)", body: Data("chaos-\(id)".utf8), headers: level.map { ["X-Spillway-Ack": $0] } ?? [:]
                )
                let elapsed = ContinuousClock.now - started
                let reply = level == nil ? nil : (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
                state.withLockedValue { figures in
                    if level == nil {
                        figures.slowest = max(figures.slowest, elapsed)
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
            try? await Task.sleep(for: pause)
        }
    }
}
