import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Spillway

/// `spillway serve`: the pipeline plus two HTTP listeners (ingest and admin),
/// run as one `ServiceGroup`. On SIGTERM the listeners stop first, then the
/// pipeline drains and spools, in reverse start order.
public struct SpillwayServer: Sendable {
    public let settings: ServiceSettings
    public let buffer: SpillwayBuffer
    let ingest: Application<RouterResponder<BasicRequestContext>>
    let admin: Application<RouterResponder<BasicRequestContext>>
    let logger: Logger

    /// Builds everything without opening sockets; `run` starts it.
    /// - Parameter metrics: renders the Prometheus exposition for `GET /metrics`.
    public init(settings: ServiceSettings, logger: Logger, metrics: @escaping @Sendable () -> String) throws {
        try settings.validate()
        var pipeline = settings.pipeline
        if settings.kafkaMock {
            // librdkafka's in-process mock cluster: the whole flow with no Kafka installed.
            pipeline.kafka.properties["test.mock.num.brokers"] = "1"
            pipeline.kafka.properties["log_level"] = pipeline.kafka.properties["log_level"] ?? "3"
        }
        self.settings = settings
        self.logger = logger
        let buffer = try SpillwayBuffer(configuration: pipeline, logger: logger)
        self.buffer = buffer

        let ingestRouter = Router()
        IngestRoutes(buffer: buffer, settings: settings).register(on: ingestRouter)
        Self.addHealthChecks(to: ingestRouter, buffer: buffer)
        ingestRouter.add(middleware: UnknownRouteMiddleware(endpoints: IngestRoutes.endpoints + Self.healthEndpoints))
        ingest = Application(
            router: ingestRouter,
            configuration: .init(address: .hostname(settings.httpHost, port: settings.httpPort), serverName: "spillway"),
            onServerRunning: Self.announce("ingest", logger: logger),
            logger: logger
        )

        let adminRouter = Router()
        if let token = settings.adminToken {
            adminRouter.add(middleware: BearerTokenMiddleware(token: token))
        }
        AdminRoutes(buffer: buffer, settings: settings, metrics: metrics).register(on: adminRouter)
        Self.addHealthChecks(to: adminRouter, buffer: buffer)
        adminRouter.add(middleware: UnknownRouteMiddleware(endpoints: AdminRoutes.endpoints + Self.healthEndpoints))
        admin = Application(
            router: adminRouter,
            configuration: .init(address: .hostname(settings.adminHost, port: settings.adminPort), serverName: "spillway-admin"),
            onServerRunning: Self.announce("admin", logger: logger),
            logger: logger
        )
    }

    /// The ingest and admin routers, for in-process tests.
    public var ingestApplication: some ApplicationProtocol { ingest }
    public var adminApplication: some ApplicationProtocol { admin }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully.
    public func run() async throws {
        if settings.kafkaMock, let bootstrap = buffer.mockClusterBootstrapServers {
            logger.notice("dev mode: sending to librdkafka's in-process mock Kafka", metadata: [
                "bootstrap": "\(bootstrap)", "read_with": "kcat -C -b \(bootstrap) -t TOPIC -e",
            ])
        }
        // Started in this order; stopped in reverse: listeners first, the pipeline last.
        let group = ServiceGroup(
            services: [buffer, admin, ingest],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
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

    static func addHealthChecks(to router: Router<BasicRequestContext>, buffer: SpillwayBuffer) {
        router.get("/healthz") { _, _ in
            JSONResponse.make(.ok, ["status": "alive"])
        }
        router.get("/readyz") { _, _ in
            let status = buffer.status()
            guard status.running else { return JSONResponse.make(.serviceUnavailable, ["status": "not running"]) }
            guard status.spoolAvailable else { return JSONResponse.make(.serviceUnavailable, ["status": "spool unavailable"]) }
            if let reason = status.kafkaIncompatibility {
                return JSONResponse.make(.serviceUnavailable, ["status": "kafka incompatible", "detail": reason])
            }
            return JSONResponse.make(.ok, ["status": "ready"])
        }
    }
}
