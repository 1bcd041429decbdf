import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import Spillway
import SpillwayAdminContract

/// `spillway serve`: the pipeline plus two HTTP listeners (ingest and admin),
/// run as one `ServiceGroup`. On SIGTERM the listeners stop first, then the
/// pipeline drains and spools, in reverse start order.
public struct SpillwayServer: Sendable {
    public let settings: ServiceSettings
    /// Every cluster's compartment, and the routing table (one compartment unless `clusters` is set).
    public let router: SpillwayRouter
    /// The `default` cluster's compartment: the only one unless `clusters` is set.
    public var buffer: SpillwayBuffer { router.buffer(cluster: TopicRoutes.defaultCluster)! }
    let ingest: Application<RouterResponder<BasicRequestContext>>
    let admin: Application<RouterResponder<BasicRequestContext>>
    /// The Kafka-protocol listener, when `kafka_listener.port` is set.
    let kafkaListener: KafkaListener?
    let logger: Logger

    /// Builds everything without opening sockets; `run` starts it.
    /// - Parameter metrics: renders the Prometheus exposition for `GET /metrics`.
    /// - Parameter onKafkaListening: told the Kafka listener's address once it is bound.
    public init(
        settings: ServiceSettings, logger: Logger, metrics: @escaping @Sendable () -> String,
        onKafkaListening: @escaping @Sendable (SocketAddress) -> Void = { _ in }
    ) throws {
        try settings.validate()
        var compartments = try settings.compartments()
        if settings.kafkaMock {
            // Dev mode: each cluster gets an in-process mock cluster of its own.
            for index in compartments.indices { compartments[index].configuration.kafka.useInProcessMockCluster() }
        }
        self.settings = settings
        self.logger = logger
        let router = try SpillwayRouter(compartments: compartments, routes: try settings.routes(), logger: logger)
        self.router = router

        let ingestRouter = Router()
        ingestRouter.add(middleware: BodyCodingMiddleware(refusal: Self.ingestRefusal))
        IngestRoutes(router: router, settings: settings).register(on: ingestRouter)
        Self.addHealthChecks(to: ingestRouter, router: router)
        ingestRouter.add(middleware: UnknownRouteMiddleware(endpoints: IngestRoutes.endpoints + Self.healthEndpoints))
        ingest = Application(
            router: ingestRouter,
            server: Self.server(settings, maxBodyBytes: settings.maxBodyBytes, refusal: Self.ingestRefusal),
            configuration: .init(
                address: .hostname(settings.httpHost, port: settings.httpPort), serverName: "spillway",
                availableConnectionsDelegate: MaximumAvailableConnections(settings.maxConnections, logger: logger)
            ),
            onServerRunning: Self.announce("ingest", logger: logger),
            logger: logger
        )

        let kafkaConnections = settings.kafkaListenerPort.map { _ in KafkaConnections() }
        let adminRouter = Router()
        if let token = settings.adminToken {
            adminRouter.add(middleware: BearerTokenMiddleware(token: token))
        }
        adminRouter.add(middleware: BodyCodingMiddleware(refusal: Self.adminRefusal))
        AdminRoutes(router: router, settings: settings, metrics: metrics, kafkaListener: kafkaConnections).register(on: adminRouter)
        Self.addHealthChecks(to: adminRouter, router: router)
        adminRouter.add(middleware: UnknownRouteMiddleware(endpoints: AdminRoutes.endpoints + Self.healthEndpoints))
        admin = Application(
            router: adminRouter,
            server: Self.server(settings, maxBodyBytes: AdminRoutes.maxBodyBytes, refusal: Self.adminRefusal),
            configuration: .init(
                address: .hostname(settings.adminHost, port: settings.adminPort), serverName: "spillway-admin",
                availableConnectionsDelegate: MaximumAvailableConnections(settings.adminMaxConnections, logger: logger)
            ),
            onServerRunning: Self.announce("admin", logger: logger),
            logger: logger
        )
        if let port = settings.kafkaListenerPort, let kafkaConnections {
            kafkaListener = KafkaListener(
                settings: settings, port: port, router: router, logger: logger, connections: kafkaConnections, onListening: onKafkaListening
            )
        } else {
            kafkaListener = nil
        }
    }

    /// The ingest and admin routers, for in-process tests.
    public var ingestApplication: some ApplicationProtocol { ingest }
    public var adminApplication: some ApplicationProtocol { admin }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully.
    public func run() async throws {
        for (cluster, buffer) in router.compartments where settings.kafkaMock {
            guard let bootstrap = buffer.mockClusterBootstrapServers else { continue }
            var metadata: Logger.Metadata = ["bootstrap": "\(bootstrap)", "read_with": "kcat -C -b \(bootstrap) -t TOPIC -e"]
            if router.clusters.count > 1 { metadata["cluster"] = "\(cluster)" }
            logger.notice("dev mode: sending to librdkafka's in-process mock Kafka", metadata: metadata)
        }
        // Started in this order; stopped in reverse: listeners first, the pipeline last.
        var services: [any Service] = [router, admin, ingest]
        if let kafkaListener { services.append(kafkaListener) }
        if settings.heapTrimThreshold > 0, HeapTrimmer.isSupported {
            let router = router
            services.append(HeapTrimmer(threshold: settings.heapTrimThreshold, logger: logger) {
                router.compartments.reduce(0) { total, compartment in
                    let ledger = compartment.buffer.status().ledger
                    return total + ledger.queued + ledger.inFlight
                }
            })
        }
        let group = ServiceGroup(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
    }

    /// A listener's HTTP/1 server: Hummingbird closes idle connections; `RequestLimitsHandler`
    /// bounds the time to send a request and refuses an oversized body by its declared length.
    static func server(
        _ settings: ServiceSettings, maxBodyBytes: Int,
        refusal: @escaping @Sendable (HTTPResponse.Status, String, String?) -> (contentType: String, body: ByteBuffer)
    ) -> HTTPServerBuilder {
        let limits = RequestLimitsHandler.Limits(
            headerTimeout: .nanoseconds(settings.headerTimeout.nanoseconds),
            bodyTimeout: .nanoseconds(settings.bodyTimeout.nanoseconds),
            maxBodyBytes: maxBodyBytes,
            refusal: refusal
        )
        let configuration = HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestLimitsHandler(limits)],
            idleTimeout: .nanoseconds(settings.idleTimeout.nanoseconds)
        )
        return HTTPServerBuilder { responder in
            LimitedHTTP1Channel(http1: HTTP1Channel(responder: responder, configuration: configuration))
        }
    }

    /// The ingest listener's refusals: REST Proxy's error shape on its routes, `{"error": …}` elsewhere.
    static let ingestRefusal: @Sendable (HTTPResponse.Status, String, String?) -> (contentType: String, body: ByteBuffer) = { status, message, path in
        if path?.hasPrefix("/topics/") == true {
            // REST Proxy's codes are the HTTP status followed by a number: 41301, 40801, 40001.
            let body = RestProxyError(errorCode: status.code * 100 + 1, message: message)
            return (RestProxyProduce.responseContentType, ByteBuffer(bytes: (try? JSONResponse.encoder.encode(body)) ?? Data()))
        }
        return ("application/json", ByteBuffer(bytes: (try? JSONResponse.encoder.encode(["error": message])) ?? Data()))
    }

    /// The admin listener's refusals, in the admin contract.
    static let adminRefusal: @Sendable (HTTPResponse.Status, String, String?) -> (contentType: String, body: ByteBuffer) = { _, message, _ in
        ("application/json", ByteBuffer(bytes: (try? AdminContract.encoder.encode(AdminErrorReply(message))) ?? Data()))
    }

    /// Logs where a listener actually listens: with port 0 the kernel picks it.
    static func announce(_ listener: String, logger: Logger) -> @Sendable (any Channel) async -> Void {
        { channel in
            let address = channel.localAddress.map { "http://\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown"
            logger.notice("spillway \(listener) listening", metadata: [listener: "\(address)"])
        }
    }

    static let healthEndpoints: [UnknownRouteMiddleware<BasicRequestContext>.Endpoint] = [
        .init(method: .get, path: "/healthz"), .init(method: .get, path: "/readyz"),
    ]

    static func addHealthChecks(to http: Router<BasicRequestContext>, router: SpillwayRouter) {
        http.get("/healthz") { _, _ in
            JSONResponse.make(.ok, ["status": "alive"])
        }
        // Ready while any compartment can take records; with several, the answer names those that cannot.
        http.get("/readyz") { _, _ in
            var problems: [(cluster: String, status: String, detail: String?)] = []
            for (cluster, buffer) in router.compartments {
                let status = buffer.status()
                if !status.running {
                    problems.append((cluster, "not running", nil))
                } else if !status.spoolAvailable {
                    problems.append((cluster, "spool unavailable", nil))
                } else if let reason = status.kafkaIncompatibility {
                    problems.append((cluster, "kafka incompatible", reason))
                }
            }
            guard problems.count == router.clusters.count, let first = problems.first else {
                var answer = ["status": "ready"]
                if !problems.isEmpty {
                    answer["degraded"] = problems.map { "\($0.cluster): \($0.status)\($0.detail.map { " (\($0))" } ?? "")" }.joined(separator: "; ")
                }
                return JSONResponse.make(.ok, answer)
            }
            var answer = ["status": first.status]
            if let detail = first.detail { answer["detail"] = detail }
            if router.clusters.count > 1 { answer["status"] = "no cluster can take records: " + problems.map { "\($0.cluster): \($0.status)" }.joined(separator: "; ") }
            return JSONResponse.make(.serviceUnavailable, answer)
        }
    }
}
