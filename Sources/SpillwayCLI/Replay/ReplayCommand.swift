import ArgumentParser
import Dispatch
import Foundation
import Spillway
import SpillwayService
import SpillwaySpool

/// `spillway replay`: after an outage, send a spool file or an export to Kafka at a polite rate.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a spool file or an NDJSON export to a Kafka cluster, at a limited rate, resumably.",
        discussion: """
            A record is removed from the spool (or the export's resume point moves past it) only after Kafka \
            acknowledged it, so an interrupted replay continues where it stopped when run again; records in \
            flight at an interruption may be sent twice. Stops at the first sign that Kafka is unhealthy. \
            Works while the service is stopped; refuses while a service holds the spool.
            """
    )

    @Option(help: "The spool file to replay (the default unless --export is given).") var spool: String?
    @Option(help: "An NDJSON file from `spillway spool export` to replay instead.") var export: String?
    @Option(help: "Kafka bootstrap servers, comma-separated.") var kafka: String?
    @Option(help: ArgumentHelp(
        "A service configuration file: each record goes to the cluster its routing table gives its topic (clusters.NAME), with that cluster's brokers and properties.",
        valueName: "file"
    )) var config: String?
    @Option(help: ArgumentHelp(
        "Replay this cluster's spool file (spool.NAME.db beside --spool, or beside the configuration's spool.path).", valueName: "name"
    )) var cluster: String?
    @Option(help: "At most this many records per second.") var rate: Double = 1000
    @Option(help: "At most this many payload bytes per second.") var maxBytesPerSec: Double = 8 * 1024 * 1024
    @Option(name: .customLong("topic-map"), help: ArgumentHelp("Send records of topic OLD to NEW instead (repeatable).", valueName: "old=new"))
    var topicMap: [String] = []
    @Option(help: "Only records of this topic (repeatable).") var topic: [String] = []
    @Option(help: "Only records created at or after this time: 10m, 2h, 3d ago, ISO 8601, or epoch milliseconds.") var since: TimeArgument?
    @Option(help: "Only records created before this time.") var before: TimeArgument?
    @Flag(help: "Show what would be sent, per topic, and send nothing.") var dryRun = false
    @Option(name: .customShort("X"), help: ArgumentHelp("A librdkafka property for the producer (repeatable).", valueName: "key=value"))
    var properties: [String] = []
    @Option(help: "Records in flight at most.") var batchSize: Int = 500

    func validate() throws {
        if spool != nil && export != nil { throw ValidationError("give --spool or --export, not both") }
        if config != nil && kafka != nil {
            throw ValidationError("give --kafka or --config, not both (--config takes each cluster's brokers from the file)")
        }
        if !dryRun && kafka == nil && config == nil { throw ValidationError("--kafka or --config is required (or use --dry-run)") }
        if let cluster, let problem = TopicRoutes.clusterNameProblem(cluster) { throw ValidationError("--cluster \(cluster): a cluster's name \(problem)") }
        if cluster != nil && export != nil {
            throw ValidationError("--cluster picks a spool file; an export's records go to their topic's cluster (--config) or to --kafka")
        }
        if !(rate > 0 && rate.isFinite && maxBytesPerSec > 0 && maxBytesPerSec.isFinite) {
            throw ValidationError("--rate and --max-bytes-per-sec must be positive and finite")
        }
        for mapping in topicMap where mapping.split(separator: "=").count != 2 { throw ValidationError("--topic-map wants old=new, got \(mapping)") }
        for property in properties where !property.contains("=") { throw ValidationError("-X wants key=value, got \(property)") }
    }

    func run() async throws {
        var mapping: [String: String] = [:]
        for entry in topicMap {
            let parts = entry.split(separator: "=").map(String.init)
            if let problem = TopicName.problem(with: parts[1]) { throw CLIError("--topic-map \(entry): \(problem)") }
            mapping[parts[0]] = parts[1]
        }
        let filter = ReplayFilter(topics: Set(topic), since: since?.milliseconds, before: before?.milliseconds, topicMap: mapping)
        let targets = if let config {
            try await ReplayClusters(config: config, cluster: cluster)
        } else {
            ReplayClusters(bootstrap: kafka, spool: spool ?? SpoolPathOption.defaultPath, cluster: cluster)
        }
        if let export {
            var source = try ExportReplaySource(path: export, filter: filter)
            try replay(&source, label: export, to: targets)
        } else {
            // --spool names spool.path; --cluster the cluster's file beside it.
            let path = spool.map { file in cluster.map { ServiceSettings.spoolPath(file, cluster: $0) } ?? file } ?? targets.defaultSpool
            // A dry run only reads, beside a running service if need be. A real one takes
            // the writer lock: a running service holds it, and then this refuses.
            let opened = dryRun
                ? try Spool.openForInspection(path: path)
                : try Spool.open(SpoolConfiguration(path: path, integrityCheck: .quick), options: .maintenance)
            defer { opened.close() }
            var source = try SpoolReplaySource(spool: opened, filter: filter)
            try replay(&source, label: path, to: targets)
        }
    }

    private func replay<Source: ReplaySource>(_ source: inout Source, label: String, to targets: ReplayClusters) throws {
        if dryRun {
            var perTopic: [String: (records: Int, bytes: Int)] = [:]
            while case let batch = try source.next(1000), !batch.isEmpty {
                for item in batch { perTopic[item.record.topic, default: (0, 0)].records += 1; perTopic[item.record.topic, default: (0, 0)].bytes += item.record.payloadSize }
            }
            let total = perTopic.values.reduce(0) { $0 + $1.records }
            print("dry run: would send \(plural(total, "record")) from \(label); nothing was sent")
            for (name, figures) in perTopic.sorted(by: { $0.key < $1.key }) {
                let to = targets.clusters.count > 1 ? " to cluster \(targets.routes.cluster(forTopic: name))" : ""
                print("  \(name): \(plural(figures.records, "record")), \(ByteCount.format(figures.bytes)) of payload\(to)")
            }
            if total > 0 {
                print("(payload: topic, key, value and headers, as Kafka gets them and --max-bytes-per-sec counts them; `spool stats` counts stored bytes, which add storage overhead)")
            }
            if total > 0 { print("at \(WholeNumber.format(rate)) records/s this takes at least \(Clock.duration(seconds: Double(total) / rate))") }
            if source.quarantined > 0 {
                print("\(plural(source.quarantined, "stored record")) cannot be sent as stored and would be moved to the dead letters (`spillway spool check` names each)")
            }
            return
        }
        var producers: [RDKafkaClient] = []
        for (name, cluster) in targets.clusters {
            var kafkaConfiguration = cluster
            kafkaConfiguration.clientID = "spillway-replay"
            kafkaConfiguration.messageTimeout = .seconds(30)
            for property in properties {
                let parts = property.split(separator: "=", maxSplits: 1).map(String.init)
                kafkaConfiguration.properties[parts[0]] = parts[1]
            }
            if kafkaConfiguration.properties["log_level"] == nil { kafkaConfiguration.properties["log_level"] = "3" }
            do {
                producers.append(try RDKafkaClient(kafkaConfiguration, maxMessages: batchSize * 2, maxBytes: 256 << 20))
            } catch {
                throw CLIError(targets.clusters.count > 1 ? "cluster \(name): \(error.description)" : error.description)
            }
        }
        let stop = StopFlag()
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let interrupts = [SIGINT, SIGTERM].map { signalNumber in
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { stop.set() }
            source.resume()
            return source
        }
        defer { interrupts.forEach { $0.cancel() } }

        let throttle = ReplayThrottle(recordsPerSecond: rate, bytesPerSecond: maxBytesPerSec, batchSize: batchSize, now: .now)
        var engine = ReplayEngine(producers: producers, route: targets.index(of:), throttle: throttle, batchSize: batchSize, stop: stop)
        engine.clusters = targets.clusters.map(\.name)
        var progress = ProgressReporter(verb: "replayed", total: source.remaining, enabled: true)
        let summary = try engine.run(&source, progress: &progress)
        progress.finish(summary.delivered + summary.deadLettered)

        let seconds = summary.elapsed.inSeconds
        print("replayed \(plural(summary.delivered, "record")) to Kafka in \(String(format: "%.1f", seconds))s (\(WholeNumber.format(Double(summary.delivered) / max(seconds, 0.001))) records/s)")
        if summary.deadLettered > 0 { print("\(plural(summary.deadLettered, "record")) refused by Kafka for reasons about the record: kept as dead letters (`spillway spool list --dead`)") }
        if source.quarantined > 0 {
            print("\(plural(source.quarantined, "stored record")) could not be sent as stored (damaged or edited by hand): moved to the dead letters with the reason (`spillway spool list --dead`)")
        }
        print(source.resumeNote)
        if let reason = summary.stoppedBecause {
            throw CLIError("replay stopped early: \(reason); run it again to continue where it stopped")
        }
    }
}
