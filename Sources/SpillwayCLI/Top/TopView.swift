import Foundation
import Spillway
import SpillwayAdminContract

/// What `spillway top` shows, computed from the samples kept so far. Pure, so
/// it can be tested from a recorded status stream without a terminal.
struct TopView {
    /// One `GET /v1/status` answer and when it came.
    struct Sample {
        var status: AdminStatus
        var takenAt: Date
    }

    var samples: [Sample]
    var source: String
    var sparklineWidth = 60

    /// Records per second between consecutive samples, for one counter.
    func rates(_ counter: (Ledger) -> Int) -> [Double] {
        zip(samples, samples.dropFirst()).map { previous, next in
            let seconds = max(next.takenAt.timeIntervalSince(previous.takenAt), 0.001)
            // Counters a service reports are not trusted to be sane: one that went
            // backwards (a restart) or jumped beyond `Int` shows no rate.
            let (difference, overflow) = counter(next.status.ledger).subtractingReportingOverflow(counter(previous.status.ledger))
            return overflow ? 0 : Double(max(0, difference)) / seconds
        }
    }

    /// The full-screen view.
    func render(color: Bool) -> String {
        guard let sample = samples.last else { return "waiting for \(source)…\n" }
        let latest = sample.status
        func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        let breaker: String
        switch (latest.breaker.mode, latest.breaker.state) {
        case (.forcedOpen, _): breaker = paint("FORCED OPEN", "1;35")
        case (.forcedClosed, _): breaker = paint("FORCED CLOSED", "1;35")
        case (.auto, .open): breaker = paint("OPEN", "1;31")
        case (.auto, .halfOpen): breaker = paint("HALF-OPEN", "1;33")
        case (.auto, .closed): breaker = paint("CLOSED", "1;32")
        }
        var lines: [String] = []
        lines.append("spillway top — \(source)   breaker \(breaker)   \(Self.time(sample.takenAt))")
        if let reason = latest.breaker.lastReason { lines.append("  last change: \(reason)") }
        lines.append("")
        lines.append("             per second   last \(sparklineWidth) samples")
        for (label, counter) in [
            ("accepted", { (l: Ledger) in l.accepted }),
            ("delivered", { $0.delivered }),
            ("spooled", { $0.spilled }),
            ("replayed", { $0.replayed }),
            ("dropped", { $0.droppedTotal }),
        ] as [(String, (Ledger) -> Int)] {
            let series = rates(counter)
            let now = series.last ?? 0
            lines.append(label.padding(toLength: 12, withPad: " ", startingAt: 0) + Self.pad(Self.number(now), 10) + "   " + Sparkline.draw(series, width: sparklineWidth))
        }
        lines.append("")
        let ledger = latest.ledger
        if let limits = latest.limits {
            let used = ledger.queued &+ ledger.inFlight
            lines.append("memory      \(Self.bar(Double(used) / Double(max(limits.queueMaxRecords, 1))))  \(used) of \(limits.queueMaxRecords) records (queued \(ledger.queued), in flight \(ledger.inFlight))")
            lines.append("spool       \(Self.bar(Double(latest.spool.readyBytes) / Double(max(limits.spoolMaxBytes, 1))))  \(latest.spool.ready) ready, \(latest.spool.deadLetters) dead letters, \(ByteCount.format(latest.spool.readyBytes)) of \(ByteCount.format(limits.spoolMaxBytes))")
        } else {
            lines.append("memory      queued \(ledger.queued), in flight \(ledger.inFlight)")
            lines.append("spool       \(latest.spool.ready) ready, \(latest.spool.deadLetters) dead letters")
        }
        let replayRate = rates { $0.replayed }.last ?? 0
        if latest.replay.paused {
            lines.append("replay      paused (`spillway backlog resume`), \(latest.spool.ready) waiting")
        } else if latest.spool.ready > 0 {
            let eta = replayRate > 0 ? ", ETA \(Clock.duration(seconds: Double(latest.spool.ready) / replayRate))" : ""
            lines.append("replay      \(Self.number(replayRate))/s now (allowed \(Self.number(latest.replay.currentRate))/s: \(latest.replay.phase); ceiling \(Self.number(latest.replay.recordsPerSecond))/s), \(latest.spool.ready) left\(eta)")
        } else {
            lines.append("replay      nothing to replay")
        }
        let drops = ledger.dropped.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        lines.append("dropped     \(drops.isEmpty ? "none" : drops.joined(separator: ", "))")
        if let listener = latest.kafkaListener {
            let software = Dictionary(listener.clients.map { ($0.software, $0.connections) }, uniquingKeysWith: +)
                .sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }
            lines.append("kafka port  \(listener.address): \(listener.connections) connections\(software.isEmpty ? "" : " (" + software.joined(separator: ", ") + ")")")
        }
        if let clusters = latest.clusters, clusters.count > 1 {
            lines.append("clusters    (`spillway top --cluster NAME` follows one)")
            for cluster in clusters {
                let state = cluster.breaker.mode == .auto ? cluster.breaker.state.rawValue : "forced \(cluster.breaker.mode.rawValue)"
                let name = cluster.cluster ?? "?"
                lines.append("  \(name.padding(toLength: 12, withPad: " ", startingAt: 0)) breaker \(state), \(cluster.ledger.delivered) delivered, "
                    + "\(cluster.ledger.queued &+ cluster.ledger.inFlight) in memory, \(cluster.spool.ready) spooled, \(cluster.ledger.droppedTotal) dropped"
                    + (cluster.imbalance == 0 ? "" : paint("  OFF BY \(cluster.imbalance)", "1;31")))
            }
        }
        lines.append("balance     " + (latest.imbalance == 0 ? paint("ok", "32") + ": every accepted record is delivered, queued, in flight, spooled or counted as dropped" : paint("OFF BY \(latest.imbalance)", "1;31")))
        if let error = latest.lastError { lines.append("last error  \(error)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One plain line per sample, for logs and pipes.
    func line() -> String {
        guard let sample = samples.last else { return "" }
        let latest = sample.status
        let rate = { (counter: (Ledger) -> Int) in Self.number(rates(counter).last ?? 0) }
        let breaker = latest.breaker.mode == .auto ? latest.breaker.state.rawValue : "forced-\(latest.breaker.mode.rawValue)"
        return "\(Self.time(sample.takenAt)) breaker=\(breaker) accepted/s=\(rate { $0.accepted }) delivered/s=\(rate { $0.delivered }) spooled/s=\(rate { $0.spilled }) replayed/s=\(rate { $0.replayed }) dropped/s=\(rate { $0.droppedTotal }) queued=\(latest.ledger.queued) in_flight=\(latest.ledger.inFlight) spool_ready=\(latest.spool.ready) imbalance=\(latest.imbalance)"
    }

    static func bar(_ fraction: Double, width: Int = 20) -> String {
        let filled = Int((min(max(fraction, 0), 1) * Double(width)).rounded())
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }

    static func number(_ value: Double) -> String {
        value >= 10_000 && value.isFinite ? String(format: "%.1fk", value / 1000) : WholeNumber.format(value.rounded())
    }

    static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    static func time(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle().time(includingFractionalSeconds: false))
    }
}
