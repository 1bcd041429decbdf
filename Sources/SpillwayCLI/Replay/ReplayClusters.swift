import Spillway
import SpillwayService
import SpillwaySpool

/// Where `spillway replay` sends each record: one Kafka cluster (`--kafka`),
/// or, with `--config`, the cluster the configuration's routing table gives
/// its topic, with that cluster's brokers and librdkafka properties.
struct ReplayClusters {
    /// Each cluster's name and client settings, `default` first.
    var clusters: [(name: String, kafka: KafkaConfiguration)]
    /// The table topics are routed by (every topic to the one cluster without `--config`).
    var routes: TopicRoutes
    /// The spool file to replay when neither `--spool` nor `--export` is given.
    var defaultSpool: String

    /// One cluster at `bootstrap` (`--kafka`); the spool file beside `spool` for `cluster`.
    init(bootstrap: String?, spool: String, cluster: String?) {
        clusters = [(TopicRoutes.defaultCluster, KafkaConfiguration(bootstrapServers: bootstrap?.split(separator: ",").map(String.init) ?? []))]
        routes = TopicRoutes()
        defaultSpool = cluster.map { ServiceSettings.spoolPath(spool, cluster: $0) } ?? spool
    }

    /// Every cluster of the configuration file at `path`, routed by its table. The
    /// file alone: the operator's shell is not the service's environment, and a
    /// `SPILLWAY_*` variable there must neither change nor break the replay.
    init(config path: String, cluster: String?) async throws {
        let settings: ServiceSettings
        do {
            settings = try await SettingsLoader.load(file: path, environment: [:])
        } catch {
            throw CLIError(error.description)
        }
        let compartments = try settings.compartments()
        clusters = compartments.map { ($0.cluster, $0.configuration.kafka) }
        routes = try TopicRoutes(try settings.routes(), clusters: Set(compartments.map(\.cluster)))
        let name = cluster ?? TopicRoutes.defaultCluster
        guard let compartment = compartments.first(where: { $0.cluster == name }) else {
            throw CLIError("--cluster \(name): \(path) has no such cluster (clusters: \(compartments.map(\.cluster).joined(separator: ", ")))")
        }
        defaultSpool = compartment.configuration.spool.path
    }

    /// The position in `clusters` of the cluster `record`'s topic goes to.
    func index(of record: Record) -> Int {
        guard clusters.count > 1 else { return 0 }
        let name = routes.cluster(forTopic: record.topic)
        return clusters.firstIndex { $0.name == name } ?? 0
    }
}
