import Foundation
import Logging
import Spillway
import SpillwaySpool

/// Drives a replay: reads from a source no faster than the throttle allows,
/// produces to Kafka (to each record's cluster, when there are several), and
/// acknowledges to the source only what Kafka stored. Stops on the first
/// cluster-wide failure (a cluster is not healthy yet) or on Ctrl-C, after
/// waiting for what is in flight; what is left stays for a rerun.
struct ReplayEngine {
    struct Summary {
        var sent = 0
        var delivered = 0
        var deadLettered = 0
        var failed = 0
        var stoppedBecause: String?
        var elapsed: Duration = .zero
    }

    /// One producer per cluster; `route` says which one takes a record.
    let producers: [RDKafkaClient]
    let route: (Record) -> Int
    /// The clusters' names, in `producers` order, for messages when there are several.
    var clusters: [String] = []
    var throttle: ReplayThrottle
    let batchSize: Int
    let stop: StopFlag

    /// " (cluster audit)" when there are several clusters.
    private func named(_ index: Int) -> String {
        clusters.count > 1 && clusters.indices.contains(index) ? " (cluster \(clusters[index]))" : ""
    }

    mutating func run<Source: ReplaySource>(_ source: inout Source, progress: inout ProgressReporter) throws -> Summary {
        var summary = Summary()
        let started = ContinuousClock.now
        var inFlight: [UInt: (token: Int64, size: Int)] = [:]
        var waiting: [(token: Int64, record: Record)] = []
        var nextOpaque: UInt = 1
        var exhausted = false
        var stopping = false
        var stopDeadline: ContinuousClock.Instant?
        // librdkafka's own warnings, throttled, on standard error beside the progress line.
        let logger = Logger(label: "spillway.replay")
        var kafkaLogRepeats = RepeatedLog()

        while true {
            let now = ContinuousClock.now
            if !stopping, stop.isSet {
                stopping = true
                summary.stoppedBecause = "interrupted"
            }
            if stopping {
                stopDeadline = stopDeadline ?? now + .seconds(10)
                if inFlight.isEmpty { break }
                if now >= stopDeadline! {
                    for producer in producers { producer.purge() }
                }
            } else if !exhausted, waiting.isEmpty, inFlight.count < batchSize {
                let allowed = throttle.available(at: now, limit: batchSize - inFlight.count)
                if allowed > 0 {
                    waiting = try source.next(allowed)
                    if waiting.isEmpty { exhausted = true }
                    throttle.consume(records: waiting.count, bytes: waiting.reduce(0) { $0 + $1.record.payloadSize })
                }
            }
            var deadLetters: [(token: Int64, reason: String)] = []
            producing: while !stopping, let item = waiting.first {
                switch producers[route(item.record)].produce(item.record, opaque: nextOpaque) {
                case .enqueued:
                    inFlight[nextOpaque] = (item.token, item.record.payloadSize)
                    nextOpaque += 1
                    summary.sent += 1
                    waiting.removeFirst()
                case .queueFull:
                    // Back-pressure: poll below, then go on.
                    break producing
                case .failed(let code):
                    if code.kind == .perRecord {
                        deadLetters.append((item.token, code.description))
                        waiting.removeFirst()
                    } else {
                        stopping = true
                        summary.stoppedBecause = "Kafka\(named(route(item.record))) refused a record: \(code)"
                    }
                }
            }
            if exhausted && waiting.isEmpty && inFlight.isEmpty { break }

            var acknowledged: [Int64] = []
            for (index, producer) in producers.enumerated() {
                producer.poll(timeoutMilliseconds: index == 0 ? 20 : 0, reports: { report in
                    guard let entry = inFlight.removeValue(forKey: report.opaque) else { return }
                    guard let code = report.error else {
                        acknowledged.append(entry.token)
                        return
                    }
                    switch code.kind {
                    case .perRecord:
                        deadLetters.append((entry.token, code.description))
                    case .transient:
                        summary.failed += 1
                        if !stopping {
                            stopping = true
                            summary.stoppedBecause = "Kafka\(named(index)) is not healthy: \(code)"
                        }
                    case .purged:
                        summary.failed += 1
                    }
                }, errors: { code, text in
                    // librdkafka says every broker is unreachable: stop now, not after the message timeout.
                    guard code.allBrokersDown, !stopping else { return }
                    stopping = true
                    summary.stoppedBecause = "Kafka\(named(index)) is not reachable: \(text)"
                }, logs: { $0.emit(to: logger, repeats: &kafkaLogRepeats) })
            }
            if !acknowledged.isEmpty {
                try source.acknowledge(acknowledged)
                summary.delivered += acknowledged.count
            }
            if !deadLetters.isEmpty {
                try source.deadLetter(deadLetters)
                summary.deadLettered += deadLetters.count
            }
            progress.update(summary.delivered + summary.deadLettered, remaining: source.remaining.map { $0 })
        }
        try source.acknowledge([])
        summary.elapsed = ContinuousClock.now - started
        return summary
    }
}
