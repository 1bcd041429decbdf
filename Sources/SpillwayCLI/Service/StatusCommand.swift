import ArgumentParser
import Foundation
import SpillwayAdminContract

/// `spillway status`: one look at a running service.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a running service's breaker, queues, spool and accounting.")

    @OptionGroup var client: AdminClientOptions
    @Flag(help: "Print the raw JSON.") var json = false

    func run() async throws {
        if json {
            print(String(decoding: try await client.raw(AdminContract.Route.status), as: UTF8.self))
            return
        }
        print(Self.render(try await client.status()))
    }

    /// The status as the operator reads it: with several clusters, each compartment in turn.
    static func render(_ status: AdminStatus) -> String {
        guard let clusters = status.clusters, clusters.count > 1 else { return compartment(status) }
        var sections: [String] = []
        for cluster in clusters {
            let topics = cluster.topics.map { $0.joined(separator: ", ") } ?? "every topic not routed elsewhere"
            sections.append("cluster \(cluster.cluster ?? "?")  (\(topics))\n" + compartment(cluster).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        }
        if let listener = status.kafkaListener { sections.append(listenerLine(listener)) }
        return sections.joined(separator: "\n")
    }

    /// One compartment: the whole service when it runs one cluster.
    static func compartment(_ status: AdminStatus) -> String {
        let breaker = status.breaker
        let ledger = status.ledger
        var lines: [String] = []
        let position = breaker.mode == .auto
            ? "\(breaker.state.rawValue) (auto)"
            : "forced \(breaker.mode.rawValue) (by an operator; `spillway breaker auto\(status.cluster.map { " --cluster \($0)" } ?? "")` releases it)"
        lines.append("breaker     \(position)")
        if let reason = breaker.lastReason { lines.append("            last change: \(reason)") }
        if let failure = breaker.lastProbeFailure { lines.append("            last probe: failed: \(failure)") }
        if let next = breaker.nextProbeInSeconds { lines.append("            next probe in \(String(format: "%.1f", next)) s") }
        if let retry = breaker.trafficRetryInSeconds, retry > 0 {
            lines.append("            traffic tried again in \(String(format: "%.1f", retry)) s at the earliest, if a probe finds Kafka answering")
        }
        let dropped = ledger.dropped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        lines.append("accepted    \(ledger.accepted)  (+ \(ledger.recovered) recovered from the spool)")
        lines.append("delivered   \(ledger.delivered)  (\(ledger.replayed) replayed)")
        lines.append("queued      \(ledger.queued)   in flight \(ledger.inFlight)")
        lines.append("spooled     \(ledger.spooled)  (ready \(status.spool.ready), dead letters \(status.spool.deadLetters))")
        lines.append("dropped     \(dropped.isEmpty ? "0" : dropped.joined(separator: ", "))")
        let acks = status.acks
        if acks.acceptedSpool + acks.acceptedKafka + acks.pendingRecords + status.spool.escrowRecords > 0 {
            lines.append("acks        \(acks.pendingRecords) records' callers waiting; \(acks.acceptedSpool) asked at spool, \(acks.acceptedKafka) at kafka; \(status.spool.escrowRecords) escrow copies")
        }
        let replay = status.replay
        lines.append("replay      \(replay.paused ? "paused" : "\(WholeNumber.format(replay.currentRate)) records/s now (\(replay.phase)), floor \(WholeNumber.format(replay.minRecordsPerSecond))/s, ceiling \(WholeNumber.format(replay.recordsPerSecond))/s")")
        if ledger.possiblyPersisted > 0 {
            lines.append("            \(ledger.possiblyPersisted) possibly persisted: their first delivery may have reached Kafka, so their replay may be a duplicate")
        }
        if status.clusters == nil, let listener = status.kafkaListener { lines.append(listenerLine(listener)) }
        lines.append("balance     \(status.imbalance == 0 ? "ok (every record accounted for)" : "OFF BY \(status.imbalance)")")
        if let error = status.lastError { lines.append("last error  \(error)") }
        return lines.joined(separator: "\n")
    }

    static func listenerLine(_ listener: AdminStatus.KafkaListener) -> String {
        let clients = listener.clients.map { "\($0.clientID) (\($0.software))\($0.connections > 1 ? " ×\($0.connections)" : "")" }
        return "kafka port  \(listener.address), \(listener.connections) connection\(listener.connections == 1 ? "" : "s")\(clients.isEmpty ? "" : ": " + clients.joined(separator: ", "))"
    }
}
