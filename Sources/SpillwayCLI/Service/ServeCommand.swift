import ArgumentParser
import Foundation
import Logging
import NIOCore
import Metrics
import Prometheus
import Spillway
import SpillwayService

/// `spillway serve`: the sidecar service.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Spillway service: HTTP ingest, admin API, the pipeline to Kafka.",
        discussion: """
            Settings come from, highest first: these options, SPILLWAY_* environment variables, the JSON file \
            given by --config (or \(SettingsLoader.fileVariable)), and the embedded defaults. `spillway config keys` lists them all.

            With no configuration at all it listens on 127.0.0.1:8080 (ingest) and :8081 (admin), spools to \
            ./spillway-data/, and sends to Kafka at localhost:9092. --dev sends to an in-process mock Kafka instead.
            """
    )

    @Option(help: "JSON configuration file (default: \(SettingsLoader.fileVariable)).") var config: String?
    @Flag(help: "Dev mode: send to librdkafka's in-process mock Kafka (no Kafka needed).") var dev = false
    @Option(help: "Ingest listener address.") var host: String?
    @Option(help: "Ingest listener port.") var port: Int?
    @Option(help: "Admin listener port.") var adminPort: Int?
    @Option(help: "Kafka-protocol listener port, for Kafka producers (off unless set; --dev: 9092 or the next free port).") var kafkaPort: Int?
    @Option(help: "Kafka bootstrap servers, comma-separated.") var kafka: String?
    @Option(help: "Spool file.") var spool: String?

    func run() async throws {
        var overrides: [SettingsKey: SettingsKey.Value] = [:]
        if dev { overrides[SettingsKeys.kafkaMock] = .bool(true) }
        if let host { overrides[SettingsKeys.httpHost] = .string(host) }
        if let port { overrides[SettingsKeys.httpPort] = .int(port) }
        if let adminPort { overrides[SettingsKeys.adminPort] = .int(adminPort) }
        if let kafkaPort { overrides[SettingsKeys.kafkaListenerPort] = .int(kafkaPort) }
        if let kafka { overrides[SettingsKeys.kafkaBootstrapServers] = .string(kafka) }
        if let spool { overrides[SettingsKeys.spoolPath] = .string(spool) }
        var settings: ServiceSettings
        do {
            settings = try await SettingsLoader.load(file: config, overrides: overrides)
        } catch {
            throw CLIError(error.description)
        }
        // Dev mode speaks Kafka too, where Kafka clients look first.
        if dev, settings.kafkaListenerPort == nil {
            settings.kafkaListenerPort = FreePortSearch.first(from: 9092, host: settings.httpHost) ?? 0
        }
        var logger = Logger(label: "spillway")
        logger.logLevel = Logger.Level(rawValue: settings.logLevel) ?? .info
        // The librdkafka loaded decides which brokers can be spoken to: name it first.
        logger.notice("\(SpillwayVersion.description) starting", metadata: [
            "version": "\(SpillwayVersion.current)", "librdkafka": "\(SpillwayVersion.librdkafka)", "sqlite": "\(SpillwayVersion.sqlite)",
        ])

        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        for metric in MetricCatalog.all where !metric.buckets.isEmpty {
            factory.durationHistogramBuckets[metric.name] = metric.buckets
        }
        MetricsSystem.bootstrap(DocumentedMetricsFactory(prometheus: factory))

        let server: SpillwayServer
        do {
            server = try SpillwayServer(settings: settings, logger: logger, metrics: { registry.emitToString() })
        } catch {
            throw CLIError("\(error)")
        }
        do {
            try await server.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw CLIError(
                "cannot listen: address already in use (ingest \(settings.httpHost):\(settings.httpPort), admin \(settings.adminHost):\(settings.adminPort)"
                    + (settings.kafkaListenerPort.map { ", Kafka \(settings.httpHost):\($0)" } ?? "") + ");"
                    + " another spillway or another program holds one of them: choose others with --port, --admin-port and --kafka-port"
            )
        }
    }
}
