import Dispatch
import Synchronization

/// The upstream cluster's partition counts, for a front door that must tell Kafka
/// clients how many partitions a topic has without waiting for Kafka. Asking never
/// blocks: a topic not known yet, or known too long ago, is looked up on the
/// catalog's own thread, one lookup at a time, and the answer is kept. A count once
/// known is kept while the cluster cannot be asked, so an outage never makes a
/// known topic look unknown.
package final class PartitionCatalog: Sendable {
    /// What a caller may act on now.
    package enum Answer: Sendable, Equatable {
        /// As the cluster said, now or when it last answered.
        case partitions(Int32)
        /// The cluster says there is no such topic.
        case unknown
        /// The cluster refuses the name.
        case invalid(String)
        /// Being looked up, or not ready upstream: ask again shortly.
        case pending
        /// The cluster could not be asked lately and no count is known: the caller decides.
        case unreachable(String)
    }

    /// How long an answer is used before it is asked again.
    package struct Refresh: Sendable {
        /// A known count: used meanwhile, so this only bounds how late a change is seen.
        package var known: Duration = .seconds(60)
        /// Unknown, refused, not ready.
        package var negative: Duration = .seconds(1)
        /// After the cluster could not be asked.
        package var unanswered: Duration = .seconds(5)

        package init() {}
    }

    private struct Entry {
        var answer: UpstreamTopic
        var lookUpAfter: ContinuousClock.Instant
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var lookingUp: Set<String> = []
        /// Counts given or changed since the spool loop last kept them.
        var unsaved: [String: Int32] = [:]
    }

    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "spillway.partition-catalog")
    private let lookUp: @Sendable (String) -> UpstreamTopic
    private let refresh: Refresh

    /// - Parameter lookUp: asks the cluster, blocking; run only on the catalog's thread.
    package init(refresh: Refresh = Refresh(), lookUp: @escaping @Sendable (String) -> UpstreamTopic) {
        self.refresh = refresh
        self.lookUp = lookUp
    }

    /// What is known of `topic` now; starts a lookup when nothing is, or it is due.
    package func answer(for topic: String, now: ContinuousClock.Instant = .now) -> Answer {
        let (answer, startLookUp) = state.withLock { state -> (Answer, Bool) in
            let entry = state.entries[topic]
            let due = entry.map { now >= $0.lookUpAfter } ?? true
            let start = due && state.lookingUp.insert(topic).inserted
            guard let entry else { return (.pending, start) }
            switch entry.answer {
            case .partitions(let count): return (.partitions(count), start)
            case .unknown: return (.unknown, start)
            case .invalid(let reason): return (.invalid(reason), start)
            case .notReady: return (.pending, start)
            case .unanswered(let reason): return (.unreachable(reason), start)
            }
        }
        if startLookUp { scheduleLookUp(topic) }
        return answer
    }

    /// The count the cluster gave for `topic`, if it ever did; never starts a lookup.
    package func knownPartitions(of topic: String) -> Int32? {
        state.withLock { state in
            if case .partitions(let count) = state.entries[topic]?.answer { return count }
            return nil
        }
    }

    /// Counts known from before (kept in the spool across restarts), used until the cluster answers.
    package func remember(_ counts: [String: Int32], now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            for (topic, count) in counts where state.entries[topic] == nil {
                state.entries[topic] = Entry(answer: .partitions(count), lookUpAfter: now)
            }
        }
    }

    /// Every count the cluster gave, for keeping them across restarts.
    package var knownCounts: [String: Int32] {
        state.withLock { state in
            state.entries.compactMapValues { entry in
                if case .partitions(let count) = entry.answer { return count }
                return nil
            }
        }
    }

    /// Counts the cluster gave or changed since the last call, for the spool loop to keep.
    package func takeUnsaved() -> [String: Int32] {
        state.withLock { state in
            defer { state.unsaved = [:] }
            return state.unsaved
        }
    }

    /// `counts` could not be kept: the next `takeUnsaved` returns them again.
    package func markUnsaved(_ counts: [String: Int32]) {
        state.withLock { state in state.unsaved.merge(counts) { newer, _ in newer } }
    }

    private func scheduleLookUp(_ topic: String) {
        queue.async { [self] in
            let answer = lookUp(topic)
            record(answer, for: topic, now: .now)
        }
    }

    /// Keeps `answer`, except that a cluster that could not be asked never erases a count it gave before.
    func record(_ answer: UpstreamTopic, for topic: String, now: ContinuousClock.Instant) {
        state.withLock { state in
            state.lookingUp.remove(topic)
            switch answer {
            case .partitions(let count):
                if state.entries[topic]?.answer != answer { state.unsaved[topic] = count }
                state.entries[topic] = Entry(answer: answer, lookUpAfter: now + refresh.known)
            case .unknown, .invalid, .notReady:
                state.entries[topic] = Entry(answer: answer, lookUpAfter: now + refresh.negative)
            case .unanswered:
                if case .partitions = state.entries[topic]?.answer {
                    state.entries[topic]?.lookUpAfter = now + refresh.unanswered
                } else {
                    state.entries[topic] = Entry(answer: answer, lookUpAfter: now + refresh.unanswered)
                }
            }
        }
    }
}
