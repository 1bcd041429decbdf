import Spillway

/// A Kafka cluster beside `default` (which the `kafka.*` keys describe), set
/// under `clusters.NAME` in the configuration file: the topics routed to it,
/// its part of the spool's bounds, and any pipeline key (`kafka.*`, `queue.*`,
/// `breaker.*`, `replay.*`, …) that should differ from the top-level one. It
/// runs as a compartment of its own: see `SpillwayRouter`.
public struct ClusterSettings: Sendable {
    public var name: String
    /// Exact topic names and `*` globs routed to this cluster.
    public var topics: [String] = []
    /// This cluster's part of `spool.max_bytes` and `spool.max_records` (0–1);
    /// unset: an equal part of what the clusters with a share left over.
    public var spoolShare: Double?
    /// Keys set under `clusters.NAME`, applied over the top-level settings in order.
    package var keys: [(key: SettingsKey, value: SettingsKey.Value)] = []
    /// `clusters.NAME.kafka.properties.*`, over the top-level `kafka.properties.*`.
    package var properties: [String: String] = [:]

    public init(name: String) {
        self.name = name
    }

    /// The keys a cluster may set for itself: everything about its Kafka client
    /// and its compartment's pipeline. The spool file, the listeners and the
    /// per-topic acknowledgement levels are the service's, not a cluster's.
    static let keys: [SettingsKey] = SettingsKeys.all.filter { key in
        let sections = ["kafka.", "queue.", "spool_handoff.", "breaker.", "replay."]
        return sections.contains { key.name.hasPrefix($0) } && key != SettingsKeys.kafkaMock
    } + [SettingsKeys.ackTimeout, SettingsKeys.ackMaxPendingRecords, SettingsKeys.ackMaxPendingBytes]

    /// How errors and `config check` spell a key set under this cluster.
    func keyName(_ key: String) -> String {
        "\(SettingsKeys.clusters).\(name).\(key)"
    }

    /// The service's settings as this cluster sees them: the top-level ones with this cluster's keys applied.
    func applied(to settings: ServiceSettings) throws(ServiceSettingsError) -> ServiceSettings {
        var mine = settings
        for (key, value) in keys {
            do {
                try key.assign(&mine, value)
            } catch {
                throw ServiceSettingsError(key: keyName(key.name), error.message)
            }
        }
        for (property, value) in properties {
            mine.pipeline.kafka.properties[property] = value
        }
        return mine
    }

    /// The keys this cluster sets for itself, as `config check` shows them (credentials as "(set)").
    public func settingsShown(in settings: ServiceSettings) -> [(key: String, value: String)] {
        guard let mine = try? applied(to: settings) else { return [] }
        var shown = keys.map { (keyName($0.key.name), $0.key.value(in: mine)) }
        for (property, value) in properties.sorted(by: { $0.key < $1.key }) {
            shown.append((keyName(SettingsKeys.property(property)), KafkaConfiguration.isSecretProperty(property) ? "(set)" : value))
        }
        if let spoolShare { shown.append((keyName(SettingsKeys.clusterSpoolShare), "\(spoolShare)")) }
        return shown
    }
}
