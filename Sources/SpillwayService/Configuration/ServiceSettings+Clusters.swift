import Foundation
import Spillway
import SpillwaySpool

extension ServiceSettings {
    /// Every compartment the service runs: `default` (the top-level keys) first,
    /// then each of `clusters` with its own keys applied, its spool file beside
    /// `spool.path` (`spool.NAME.db`) and its part of the spool's bounds.
    public func compartments() throws(ServiceSettingsError) -> [(cluster: String, configuration: SpillwayConfiguration)] {
        guard !clusters.isEmpty else { return [(TopicRoutes.defaultCluster, pipeline)] }
        let shares = try spoolShares()
        var main = pipeline
        Self.take(shares[0], of: pipeline.spool, into: &main.spool)
        var compartments = [(TopicRoutes.defaultCluster, main)]
        for (index, cluster) in clusters.enumerated() {
            var configuration = try cluster.applied(to: self).pipeline
            configuration.spool.path = Self.spoolPath(pipeline.spool.path, cluster: cluster.name)
            Self.take(shares[index + 1], of: pipeline.spool, into: &configuration.spool)
            compartments.append((cluster.name, configuration))
        }
        return compartments
    }

    /// The routing table: each cluster's topics.
    public func routes() throws(ServiceSettingsError) -> [TopicRoute] {
        var routes: [TopicRoute] = []
        for cluster in clusters {
            var patterns: [TopicPattern] = []
            for topic in cluster.topics {
                do {
                    patterns.append(try TopicPattern(topic))
                } catch {
                    throw ServiceSettingsError(key: cluster.keyName(SettingsKeys.clusterTopics), error.description)
                }
            }
            routes.append(TopicRoute(topics: patterns, cluster: cluster.name))
        }
        return routes
    }

    /// `spillway-data/spool.db` → `spillway-data/spool.audit.db`; `default`'s is `path` itself.
    public static func spoolPath(_ path: String, cluster: String) -> String {
        guard cluster != TopicRoutes.defaultCluster else { return path }
        let url = URL(fileURLWithPath: path)
        let stem = url.deletingPathExtension().lastPathComponent
        let suffix = url.pathExtension.isEmpty ? "" : ".\(url.pathExtension)"
        let name = "\(stem).\(cluster)\(suffix)"
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name)
    }

    /// Each compartment's part of the spool's bounds, `default` first: the shares
    /// clusters claim, and equal parts of the rest for those that claim none.
    func spoolShares() throws(ServiceSettingsError) -> [Double] {
        let claimed = clusters.compactMap(\.spoolShare).reduce(0, +)
        let unclaimed = 1 + clusters.filter { $0.spoolShare == nil }.count
        guard claimed < 1 else {
            throw ServiceSettingsError(
                key: SettingsKeys.clusters + ".*." + SettingsKeys.clusterSpoolShare,
                "the shares add up to \(claimed), leaving nothing of the spool for the default cluster (they must add up to less than 1)"
            )
        }
        let rest = (1 - claimed) / Double(unclaimed)
        return [rest] + clusters.map { $0.spoolShare ?? rest }
    }

    private static func take(_ share: Double, of whole: SpoolConfiguration, into spool: inout SpoolConfiguration) {
        spool.maxBytes = Int(Double(whole.maxBytes) * share)
        spool.maxRecords = max(1, Int(Double(whole.maxRecords) * share))
    }

    /// The checks of `validate()` for each cluster, named by the cluster's keys.
    func validateClusters() throws(ServiceSettingsError) {
        var names: Set<String> = []
        for cluster in clusters {
            let key = "\(SettingsKeys.clusters).\(cluster.name)"
            if cluster.name == TopicRoutes.defaultCluster {
                throw ServiceSettingsError(key: key, "the default cluster is the one the kafka.* keys describe; give this one another name")
            }
            if let problem = TopicRoutes.clusterNameProblem(cluster.name) { throw ServiceSettingsError(key: key, "the cluster's name \(problem)") }
            guard names.insert(cluster.name).inserted else { throw ServiceSettingsError(key: key, "is configured twice") }
            if cluster.topics.isEmpty {
                throw ServiceSettingsError(key: cluster.keyName(SettingsKeys.clusterTopics), "must list the topics routed to this cluster (names or globs such as audit.*)")
            }
            if let share = cluster.spoolShare, !(share > 0 && share < 1) {
                throw ServiceSettingsError(key: cluster.keyName(SettingsKeys.clusterSpoolShare), "must be above 0 and below 1, got \(share)")
            }
            let setsBrokers = cluster.keys.contains { $0.key == SettingsKeys.kafkaBootstrapServers } || cluster.properties["bootstrap.servers"] != nil
            if !kafkaMock && !setsBrokers {
                throw ServiceSettingsError(
                    key: cluster.keyName(SettingsKeys.kafkaBootstrapServers.name), "must name this cluster's brokers (it does not fall back to \(SettingsKeys.kafkaBootstrapServers.name))"
                )
            }
            let mine = try cluster.applied(to: self)
            for setting in ClusterSettings.keys {
                if let error = setting.check(mine) { throw ServiceSettingsError(key: cluster.keyName(setting.name), error.message) }
            }
            for rule in SettingsKeys.rules {
                if let error = rule.check(mine) { throw ServiceSettingsError(key: cluster.keyName(error.key), error.message) }
            }
        }
        let routes = try routes()
        do {
            _ = try TopicRoutes(routes, clusters: names.union([TopicRoutes.defaultCluster]))
        } catch {
            // Named by the later of the two clusters whose topics overlap.
            let later = routes.indices.first { j in
                routes[..<j].contains { earlier in earlier.topics.contains { a in routes[j].topics.contains(where: a.overlaps) } }
            }
            let key = later.map { clusters[$0].keyName(SettingsKeys.clusterTopics) } ?? SettingsKeys.clusters
            throw ServiceSettingsError(key: key, error.description)
        }
        for (cluster, configuration) in try compartments() {
            if configuration.spool.maxBytes < SpoolConfiguration.minimumMaxBytes {
                throw ServiceSettingsError(
                    key: SettingsKeys.spoolMaxBytes.name,
                    "leaves cluster \(cluster) \(configuration.spool.maxBytes) bytes of spool, below the least a spool may have (\(SpoolConfiguration.minimumMaxBytes)); raise it or that cluster's spool_share"
                )
            }
            do {
                try configuration.validate()
            } catch {
                throw .pipeline("cluster \(cluster): \(error.description)")
            }
        }
    }
}
