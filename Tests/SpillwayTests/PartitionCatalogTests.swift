@testable import Spillway
import Synchronization
import Testing

/// The upstream cluster's partition counts, asked without ever blocking the asker.
struct PartitionCatalogTests {
    static let now = ContinuousClock.now

    /// A catalog whose cluster answers from `answers` and counts the lookups.
    final class FakeCluster: Sendable {
        let answers = Mutex<[String: UpstreamTopic]>([:])
        let lookups = Mutex<[String]>([])

        func lookUp(_ topic: String) -> UpstreamTopic {
            lookups.withLock { $0.append(topic) }
            return answers.withLock { $0[topic] } ?? .unanswered("down")
        }
    }

    @Test func anUnknownTopicIsPendingUntilTheClusterAnswers() async throws {
        let cluster = FakeCluster()
        cluster.answers.withLock { $0["clicks"] = .partitions(6) }
        let catalog = PartitionCatalog { cluster.lookUp($0) }
        #expect(catalog.answer(for: "clicks") == .pending)
        // The lookup runs on the catalog's own thread; the answer is kept when it returns.
        let deadline = ContinuousClock.now + .seconds(30)
        while catalog.knownPartitions(of: "clicks") == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(catalog.answer(for: "clicks") == .partitions(6))
        #expect(cluster.lookups.withLock { $0 } == ["clicks"], "asked once, not once per question")
    }

    @Test func aClusterThatCannotBeAskedNeverErasesACountItGave() {
        let catalog = PartitionCatalog { _ in .unanswered("down") }
        catalog.record(.partitions(3), for: "audit", now: Self.now)
        catalog.record(.unanswered("all brokers down"), for: "audit", now: Self.now + .seconds(61))
        #expect(catalog.knownPartitions(of: "audit") == 3)
        #expect(catalog.answer(for: "audit", now: Self.now + .seconds(62)) == .partitions(3))
    }

    @Test func withoutACountTheAskerLearnsTheClusterIsUnreachable() {
        let catalog = PartitionCatalog { _ in .unanswered("down") }
        catalog.record(.unanswered("all brokers down"), for: "new", now: Self.now)
        #expect(catalog.answer(for: "new", now: Self.now) == .unreachable("all brokers down"))
        #expect(catalog.knownPartitions(of: "new") == nil)
    }

    @Test func theClustersVerdictsAreKeptAsGiven() {
        let catalog = PartitionCatalog { _ in .unanswered("down") }
        catalog.record(.unknown, for: "gone", now: Self.now)
        catalog.record(.invalid("bad name"), for: "bad", now: Self.now)
        catalog.record(.notReady("LEADER_NOT_AVAILABLE"), for: "creating", now: Self.now)
        #expect(catalog.answer(for: "gone", now: Self.now) == .unknown)
        #expect(catalog.answer(for: "bad", now: Self.now) == .invalid("bad name"))
        #expect(catalog.answer(for: "creating", now: Self.now) == .pending)
    }

    @Test func countsFromBeforeARestartAreUsedUntilTheClusterAnswers() {
        let catalog = PartitionCatalog { _ in .unanswered("down") }
        catalog.remember(["a": 2, "b": 8])
        #expect(catalog.knownPartitions(of: "b") == 8)
        #expect(catalog.knownCounts == ["a": 2, "b": 8])
    }
}
