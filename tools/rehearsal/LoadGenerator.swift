import Foundation
import NIOConcurrencyHelpers

/// Sends records with unique ids (`chaos-N`) to whichever service is current,
/// remembering which ones were acknowledged (202) and the slowest answer.
package final class LoadGenerator: Sendable {
    package struct Figures: Sendable {
        package var acknowledged = Set<Int>()
        package var refused = 0
        package var unreachable = 0
        package var slowest: Duration = .zero
        /// When the slowest request was sent, to tell which phase it fell in.
        package var slowestSentAt: Date?
        package var nextID = 0
    }

    private let state = NIOLockedValueBox(Figures())
    private let target = NIOLockedValueBox<String?>(nil)
    package let topic: String
    package let concurrency: Int
    private let pause: NIOLockedValueBox<Duration>

    package init(topic: String, concurrency: Int, pause: Duration) {
        self.topic = topic
        self.concurrency = concurrency
        self.pause = NIOLockedValueBox(pause)
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

    /// Runs the senders until the task is cancelled.
    package func run() async {
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
