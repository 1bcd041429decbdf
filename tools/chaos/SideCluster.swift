import Foundation
import SpillwayRehearsal
import SpillwayTestKit

/// The second cluster of the short and long profiles: its own mock Kafka,
/// topic, load, reader and spool file (the service routes `chaos-side` to it
/// under `clusters.side`), faulted independently of the main one, and its own
/// books, checked apart from the main cluster's.
struct SideCluster {
    static let name = "side"
    let mock: ChildProcess
    let bootstrap: String
    let topic: String
    /// Beside the main spool file, as the service names it.
    let spoolPath: String
    /// The configuration file that adds the cluster (`clusters` is file only).
    let configPath: String
    let load: LoadGenerator
    let follower: TopicFollower
    var droppedCounted = 0
    var droppedByReason: [String: Int] = [:]
    var killLossBound = 0
    var possiblyPersisted = 0
    var spoolsAtKills: [String] = []

    init(tools: String, directory: String, mainSpool: String, recordIDHeader: String) throws {
        topic = "chaos-side"
        mock = try ChildProcess(tools + "/spillway-mock-kafka", ["--topic", "\(topic):2"])
        guard let first = mock.readLine(), first.hasPrefix("bootstrap ") else { throw ChaosFailure("the side cluster's mock Kafka did not start") }
        bootstrap = String(first.dropFirst("bootstrap ".count))
        let url = URL(fileURLWithPath: mainSpool)
        spoolPath = url.deletingLastPathComponent().appending(path: url.deletingPathExtension().lastPathComponent + ".\(Self.name).\(url.pathExtension)").path
        configPath = directory + "/clusters.json"
        let config = #"{"clusters": {"\#(Self.name)": {"topics": ["\#(topic)"], "kafka": {"bootstrap_servers": ["\#(bootstrap)"]}}}}"#
        try Data(config.utf8).write(to: URL(fileURLWithPath: configPath))
        load = LoadGenerator(topic: topic, concurrency: 2, pause: .milliseconds(4))
        follower = try TopicFollower(bootstrapServers: bootstrap, topic: topic, recordIDHeader: recordIDHeader)
    }

    func fault(_ command: String) throws {
        mock.write(command + "\n")
        guard let reply = mock.readLine(), reply.hasPrefix("ok") else { throw ChaosFailure("the side cluster's mock Kafka refused \(command)") }
    }

    func stop() {
        follower.stop()
        mock.kill(SIGTERM)
        mock.wait()
    }

    /// Takes what an instance about to be killed counted for this cluster.
    mutating func noteKilled(_ service: ServiceProcess, memoryBound: Int, copyTo copy: String) throws {
        droppedCounted += Int(service.lastMetricsByCluster[Self.name]?["spillway_dropped_total"] ?? 0)
        droppedByReason.merge(service.lastDroppedByCluster[Self.name] ?? [:], uniquingKeysWith: +)
        possiblyPersisted += service.lastStatus?.clusters?.first { $0.cluster == Self.name }?.ledger.possiblyPersisted ?? 0
        killLossBound += memoryBound
        try SpoolContents.copy(spoolPath, to: copy)
        spoolsAtKills.append(copy)
    }

    /// The books of this cluster: every acknowledged record delivered, still
    /// spooled, or counted as dropped (within the SIGKILL bound); every record
    /// answered as on disk or in Kafka there; every duplicate explained. Returns
    /// the summary lines and the violations.
    func check(maxLatency: Duration) throws -> (summary: [String], violations: [String]) {
        let load = load.figures
        let read = follower.figures
        var violations: [String] = []
        if read.missed > 0 { violations.append("side cluster: the reader missed \(read.missed) records") }
        let (spooled, deadLetters) = try SpoolContents.ids(inSpoolAt: spoolPath)
        let delivered = Set(read.counts.keys)
        let missing = load.acknowledged.subtracting(delivered).subtracting(spooled)
        let durableMissing = load.durable.subtracting(delivered).subtracting(spooled)
        let evicted = droppedByReason["spool_evicted", default: 0]
        if durableMissing.count > evicted {
            violations.append("side cluster: \(durableMissing.count) records answered as on disk or in Kafka are missing (evictions counted: \(evicted))")
        }
        if missing.count > droppedCounted + killLossBound {
            violations.append("side cluster: \(missing.count) acknowledged records are neither delivered, spooled nor counted as dropped (counted \(droppedCounted), SIGKILL bound \(killLossBound))")
        }
        let spooledAtKills = try spoolsAtKills.map { try SpoolContents.ids(inSpoolAt: $0).ids }
        let attribution = DuplicateAttribution(TopicFollower.duplicates(in: read), spooledAtKills: spooledAtKills)
        if !attribution.unexplained.isEmpty {
            violations.append("side cluster: \(attribution.unexplained.count) duplicated ids unexplained, for example: "
                + attribution.unexplained.prefix(3).map { "chaos-\($0.id): \($0.why)" }.joined(separator: "; "))
        }
        if load.slowest > maxLatency { violations.append("side cluster: a request took \(load.slowest), over the \(maxLatency) bound") }
        if load.acknowledged.isEmpty { violations.append("side cluster: no request was acknowledged") }
        let summary = [
            "side cluster          \(load.acknowledged.count) acknowledged over HTTP; \(delivered.intersection(load.acknowledged).count) delivered, \(spooled.count) still spooled (\(deadLetters) dead letters); answered on disk/Kafka \(load.durable.count), missing \(durableMissing.count) (must be 0)",
            "                      dropped, counted \(droppedCounted); lost to SIGKILL \(max(0, missing.count - droppedCounted)) (bound \(killLossBound)); duplicates \(attribution.summary); possibly persisted \(possiblyPersisted); slowest request \(load.slowest)",
        ]
        return (summary, violations)
    }
}
