import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Spillway
import SpillwayService
import SpillwaySpool
import SpillwayTestKit
import SpillwayTestTraits
import Testing

/// Runs `body` against a `ServiceHarness` (a server with its pipeline running
/// against its own mock cluster), in the process-wide lane, then stops the
/// pipeline and removes its folder whether `body` passed, failed or threw: a
/// failing test leaves no pipeline running beside the next one.
@discardableResult
func withService<T>(
    configure: (inout ServiceSettings) -> Void = { _ in },
    _ body: (ServiceHarness) async throws -> T
) async throws -> T {
    try await HeavyTestLane.run {
        let harness = try ServiceHarness(configure)
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

/// A `SpillwayServer` built against its own mock cluster, with the pipeline
/// running; requests go through HummingbirdTesting's in-process client.
final class ServiceHarness: Sendable {
    let cluster: MockKafkaCluster
    let directory: TemporaryDirectory
    let server: SpillwayServer
    private let running: Task<Void, any Error>

    init(_ configure: (inout ServiceSettings) -> Void = { _ in }) throws {
        // A spool a test closed before may be opened here again: no child another test was
        // starting meanwhile may still hold its lock (see `ChildProcess.waitForSpawnsInProgress`).
        ChildProcess.waitForSpawnsInProgress()
        cluster = try MockKafkaCluster()
        directory = TemporaryDirectory("spillway-service")
        var settings = ServiceSettings()
        settings.pipeline.kafka.bootstrapServers = [cluster.bootstrapServers]
        settings.pipeline.kafka.linger = .milliseconds(2)
        settings.pipeline.kafka.messageTimeout = .seconds(3)
        settings.pipeline.kafka.properties["log_level"] = "0"
        settings.pipeline.spool.path = directory.file("spool.db")
        settings.pipeline.shutdownDeadline = .seconds(1)
        configure(&settings)
        var logger = Logger(label: "spillway-service-test")
        logger.logLevel = .warning
        server = try SpillwayServer(settings: settings, logger: logger, metrics: { "" })
        // Every compartment: one, unless `configure` added clusters.
        let router = server.router
        running = Task { try await router.run() }
    }

    /// Graceful shutdown, waiting until the pipeline has stopped, then removes the folder.
    /// Calling it again is harmless.
    func stop() async throws {
        defer { directory.remove() }
        server.router.shutdown()
        try await running.value
    }

    /// Waits for the pipeline, checking the ledger balances each time.
    @discardableResult
    func waitFor(
        _ what: String,
        timeout: Duration = .seconds(20),
        sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: (SpillwayStatus) -> Bool
    ) async throws -> SpillwayStatus {
        do {
            return try await server.buffer.waitFor(what, timeout: timeout, condition)
        } catch {
            Issue.record(error, sourceLocation: sourceLocation)
            throw CancellationError()
        }
    }

    /// Every record of `topic`, read off the cooperative pool.
    func readTopic(_ topic: String) async throws -> [ConsumedRecord] {
        try await KafkaTopicReader.read(bootstrapServers: cluster.bootstrapServers, topic: topic)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The body as a JSON object; an empty one (and a recorded issue) when it is not.
    func json(sourceLocation: SourceLocation = #_sourceLocation) -> [String: Any] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            Issue.record("not a JSON object: \(text)", sourceLocation: sourceLocation)
            return [:]
        }
        return object
    }
}

extension ByteBuffer {
    init(_ text: String) {
        self.init(string: text)
    }
}

/// The suites that run librdkafka's mock cluster or a real service process,
/// one test at a time: a loaded 2-core machine running them all at once turns
/// timing bounds into coin flips.
@Suite(.serialized, .heavyLane) enum MockKafkaSuites {}
