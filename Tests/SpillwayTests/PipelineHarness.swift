import Foundation
import Logging
import Spillway
import SpillwaySpool
import SpillwayTestKit
import SpillwayTestTraits
import Testing

/// Runs `body` against a started pipeline with its own mock cluster and spool,
/// then stops the pipeline and removes its folder, whether `body` passed,
/// failed or threw: a failing test leaves no thread or file behind.
/// Pass a `cluster` to set up faults before the pipeline first connects.
@discardableResult
func withPipeline<T>(
    topic: String = "events",
    partitions: Int32 = 1,
    cluster: MockKafkaCluster? = nil,
    logger: Logger? = nil,
    configure: (inout SpillwayConfiguration) -> Void = { _ in },
    _ body: (PipelineHarness) async throws -> T
) async throws -> T {
    // In the process-wide lane (re-entrant: the suites that call this hold it already).
    try await HeavyTestLane.run {
        let harness = try PipelineHarness(topic: topic, partitions: partitions, cluster: cluster, logger: logger, configure)
        defer { harness.cleanUp() }
        do {
            let result = try await body(harness)
            try await harness.stop()
            return result
        } catch {
            try? await harness.stop()
            throw error
        }
    }
}

/// A running `SpillwayBuffer` against its own mock cluster and spool, for one
/// test; made and cleaned up by `withPipeline`.
final class PipelineHarness: Sendable {
    let cluster: MockKafkaCluster
    let directory: TemporaryDirectory
    let buffer: SpillwayBuffer
    let topic: String
    private let running: Task<Void, any Error>

    /// Quick timings so outages play out in seconds; each test adjusts what it needs.
    static func configuration(cluster: MockKafkaCluster, directory: TemporaryDirectory) -> SpillwayConfiguration {
        var configuration = SpillwayConfiguration()
        configuration.kafka = KafkaConfiguration(
            bootstrapServers: [cluster.bootstrapServers],
            linger: .milliseconds(2),
            messageTimeout: .seconds(2),
            properties: ["log_level": "0", "reconnect.backoff.max.ms": "200", "topic.metadata.refresh.interval.ms": "1000"]
        )
        configuration.spool = SpoolConfiguration(path: directory.file("spool.db"), maxBytes: 64 << 20)
        configuration.breaker = CircuitBreakerConfiguration(
            windowSize: 20, minimumCalls: 5, failureRateThreshold: 0.5,
            slowCallDuration: .milliseconds(800), slowCallRateThreshold: 0.8,
            openDuration: .milliseconds(500), maxOpenDuration: .seconds(2), jitter: 0.1,
            probeInterval: .milliseconds(100), probeMaxInterval: .milliseconds(300),
            halfOpenTrialCalls: 3, halfOpenIdleTimeout: .milliseconds(500), probeTimeout: .seconds(1)
        )
        configuration.replay = ReplayConfiguration(recordsPerSecond: 20_000, bytesPerSecond: 50_000_000, batchSize: 500)
        configuration.shutdownDeadline = .seconds(2)
        return configuration
    }

    /// Pass a `cluster` to set up faults before the pipeline first connects.
    init(
        topic: String = "events",
        partitions: Int32 = 1,
        cluster: MockKafkaCluster? = nil,
        logger: Logger? = nil,
        _ configure: (inout SpillwayConfiguration) -> Void = { _ in }
    ) throws {
        // A spool a test closed before may be opened here again: no child another test was
        // starting meanwhile may still hold its lock (see `ChildProcess.waitForSpawnsInProgress`).
        ChildProcess.waitForSpawnsInProgress()
        self.cluster = try cluster ?? MockKafkaCluster()
        try self.cluster.createTopic(topic, partitions: partitions)
        directory = TemporaryDirectory("spillway-pipeline")
        self.topic = topic
        var configuration = Self.configuration(cluster: self.cluster, directory: directory)
        configure(&configuration)
        var quiet = Logger(label: "spillway-test")
        quiet.logLevel = .warning
        buffer = try SpillwayBuffer(configuration: configuration, logger: logger ?? quiet)
        let buffer = buffer
        running = Task { try await buffer.run() }
    }

    /// Graceful shutdown, waiting until the pipeline has stopped. Calling it again is harmless.
    func stop() async throws {
        buffer.shutdown()
        try await running.value
    }

    func cleanUp() {
        directory.remove()
    }

    /// Sends `count` records with values `id-N`, returning the dispositions.
    @discardableResult
    func send(_ ids: Range<Int>) -> [Disposition] {
        ids.map { buffer.send(topic: topic, key: Array("k\($0)".utf8), value: Array("id-\($0)".utf8)) }
    }

    /// Keeps traffic flowing, as an application would, until the breaker opens.
    /// Returns the next unused id and the slowest `send`.
    func sendUntilBreakerOpens(from first: Int, pauseEvery: Int, pause: Duration) async throws -> (next: Int, slowest: Duration) {
        var next = first
        var slowest = Duration.zero
        while buffer.status().breaker.state != .open, next < first + 200_000 {
            let started = ContinuousClock.now
            _ = buffer.send(topic: topic, value: Array("id-\(next)".utf8))
            slowest = max(slowest, ContinuousClock.now - started)
            next += 1
            if next % pauseEvery == 0 { try await Task.sleep(for: pause) }
        }
        return (next, slowest)
    }

    /// Waits until `condition` holds for a status snapshot, checking the ledger balances in every one.
    @discardableResult
    func waitFor(
        _ what: String,
        timeout: Duration = .seconds(30),
        sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: (SpillwayStatus) -> Bool
    ) async throws -> SpillwayStatus {
        do {
            return try await buffer.waitFor(what, timeout: timeout, condition)
        } catch {
            Issue.record(error, sourceLocation: sourceLocation)
            throw CancellationError()
        }
    }

    /// The first breaker event satisfying `condition`, from a subscription made before the trigger.
    static func nextEvent(
        _ events: AsyncStream<BreakerEvent>,
        timeout: Duration = .seconds(30),
        where condition: @escaping @Sendable (BreakerEvent) -> Bool
    ) async throws -> BreakerEvent {
        try await withThrowingTaskGroup(of: BreakerEvent?.self) { group in
            group.addTask {
                for await event in events where condition(event) { return event }
                return nil
            }
            group.addTask {
                // A `PollingBudget`: time spent waiting for a thread does not count.
                var budget = PollingBudget(timeout)
                while budget.spend() { try await Task.sleep(for: .milliseconds(50)) }
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            guard let first else { throw MockKafkaError("no matching breaker event within \(timeout)") }
            return first
        }
    }

    /// Ids (`id-N`) of every record that reached the topic, read off the cooperative pool.
    func deliveredIDs() async throws -> [Int] {
        try await KafkaTopicReader.read(bootstrapServers: cluster.bootstrapServers, topic: topic).compactMap { record in
            let text = String(decoding: record.value ?? [], as: UTF8.self)
            return text.hasPrefix("id-") ? Int(text.dropFirst(3)) : nil
        }
    }
}

/// The suites that run librdkafka's mock cluster, one test at a time: each
/// cluster and pipeline runs a dozen threads, and a loaded 2-core machine
/// running them all at once turns timing bounds into coin flips.
@Suite(.serialized, .heavyLane) enum MockKafkaSuites {}
