import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Spillway
import SpillwayService
import SpillwaySpool
import SpillwayTestKit
import Testing

/// A `SpillwayServer` built against its own mock cluster, with the pipeline
/// running; requests go through HummingbirdTesting's in-process client.
final class ServiceHarness: Sendable {
    let cluster: MockKafkaCluster
    let directory: TemporaryDirectory
    let server: SpillwayServer
    private let running: Task<Void, any Error>

    init(_ configure: (inout ServiceSettings) -> Void = { _ in }) throws {
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
        let buffer = server.buffer
        running = Task { try await buffer.run() }
    }

    func stop() async throws {
        server.buffer.shutdown()
        try await running.value
        directory.remove()
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

    func readTopic(_ topic: String) throws -> [ConsumedRecord] {
        try KafkaTopicReader.readAll(bootstrapServers: cluster.bootstrapServers, topic: topic)
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
@Suite(.serialized) enum MockKafkaSuites {}
