import Logging
import NIOCore
import Spillway
import SpillwayService
import SpillwayTestKit

/// Runs `body` with a Kafka-protocol listener on a free loopback port in front of
/// a `ServiceHarness` (its pipeline sending to its own mock cluster); `body` gets
/// the harness and the listener's `host:port`. The listener stops with the test.
func withKafkaListener<T>(
    configure: (inout ServiceSettings) -> Void = { _ in },
    connections: KafkaConnections = KafkaConnections(),
    _ body: (ServiceHarness, String) async throws -> T
) async throws -> T {
    try await withService(configure: configure) { harness in
        try await withKafkaListener(settings: harness.server.settings, router: harness.server.router, connections: connections) { address in
            try await body(harness, address)
        }
    }
}

/// Runs `body` with a Kafka-protocol listener in front of `router` on a free
/// loopback port; `body` gets its `host:port`. The listener stops with `body`.
func withKafkaListener<T>(
    settings: ServiceSettings, router: SpillwayRouter, connections: KafkaConnections = KafkaConnections(),
    _ body: (String) async throws -> T
) async throws -> T {
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    var logger = Logger(label: "spillway-kafka-listener-test")
    logger.logLevel = .warning
    let listener = KafkaListener(
        settings: settings, port: 0, router: router, logger: logger, connections: connections,
        onListening: { address in continuation.yield(address.port ?? 0) }
    )
    let running = Task {
        defer { continuation.finish() }
        try await listener.run()
    }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else {
        _ = await running.result
        throw TestFailure("the Kafka listener did not start: \(String(describing: await running.result))")
    }
    do {
        let result = try await body("127.0.0.1:\(port)")
        running.cancel()
        _ = await running.result
        return result
    } catch {
        running.cancel()
        _ = await running.result
        throw error
    }
}
