import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Spillway
import SpillwayKafkaWire
import Synchronization

/// The Kafka-protocol front door: existing Kafka producers point
/// `bootstrap.servers` here and get the bulkhead, the spool and replay without a
/// code change. It listens on the ingest host with the ingest's rules (connection
/// limit, idle timeout, size limit, topic allowlist). A `Service`: on graceful
/// shutdown it stops accepting and closes its connections before the pipeline
/// drains, as the HTTP listeners do.
package struct KafkaListener: Service, CustomStringConvertible {
    let settings: ServiceSettings
    let port: Int
    let responder: KafkaRequestResponder
    let logger: Logger
    let connections: KafkaConnections
    private let bound: @Sendable (SocketAddress) -> Void

    /// - Parameter onListening: told the address once bound (with port 0 the kernel picks it).
    package init(
        settings: ServiceSettings, port: Int, router: SpillwayRouter, logger: Logger,
        connections: KafkaConnections = KafkaConnections(), onListening: @escaping @Sendable (SocketAddress) -> Void = { _ in }
    ) {
        self.connections = connections
        self.settings = settings
        self.port = port
        self.logger = logger
        responder = KafkaRequestResponder(router: router, settings: settings, logger: logger)
        bound = onListening
    }

    /// What ServiceLifecycle logs of it: never the settings, which hold secrets.
    package var description: String { "KafkaListener(port: \(port))" }

    package func run() async throws {
        let responder = responder
        let logger = logger
        let connections = connections
        // A request is one frame: the ingest's body limit plus room for the request's own fields.
        let maxFrameBytes = settings.maxBodyBytes + 64 * 1024
        let idle = TimeAmount.nanoseconds(settings.idleTimeout.nanoseconds)
        let limit = settings.maxConnections
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        AvailableConnectionsChannelHandler(delegate: MaximumAvailableConnections(limit, logger: logger))
                    )
                }
            }
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                connections.opened(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        IdleStateHandler(readTimeout: idle),
                        ByteToMessageHandler(KafkaFrameDecoder(maxFrameBytes: maxFrameBytes)),
                        KafkaConnectionHandler(responder: responder, connections: connections, logger: logger),
                    ])
                }
            }
            .bind(host: settings.httpHost, port: port)
            .get()
        if let address = channel.localAddress {
            logger.notice("spillway Kafka listener listening", metadata: [
                "kafka": "\(address.ipAddress ?? "?"):\(address.port ?? 0)",
                "advertised": "\(settings.kafkaAdvertisedHost ?? address.ipAddress ?? "?")",
            ])
            connections.listening(at: "\(address.ipAddress ?? "?"):\(address.port ?? 0)")
            bound(address)
        }
        // Until shutdown: then no new connection, and the open ones are closed, so
        // their clients retry elsewhere or later while the pipeline drains.
        try? await gracefulShutdown()
        try? await channel.close()
        await connections.closeAll()
    }
}
