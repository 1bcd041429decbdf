import ArgumentParser
import Foundation
import SpillwaySpool

struct SpoolStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Records, bytes, ages, per-topic counts and dead letters of a spool."
    )

    @OptionGroup var location: SpoolPathOption
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        let spool = try Spool.openForInspection(path: location.spool)
        let stats = try spool.statistics()
        if json {
            print(try JSONOutput.encode(stats))
            return
        }
        let now = Clock.nowMilliseconds()
        var rows: [(String, String)] = [
            ("spool", stats.path),
            ("schema version", "\(stats.schemaVersion)"),
            ("file size", "\(ByteCount.format(stats.fileBytes)) (+ write-ahead log \(ByteCount.format(stats.walBytes)))"),
            ("ready", "\(plural(stats.readyCount, "record")), \(ByteCount.format(stats.readyBytes)) stored"),
            ("dead letters", "\(plural(stats.deadCount, "record")), \(ByteCount.format(stats.deadBytes)) stored"),
            ("evicted (lifetime)", "\(plural(stats.evictedCount, "record")), \(ByteCount.format(stats.evictedBytes)) stored"),
        ]
        if let stored = stats.storedValueBytes, let original = stats.originalValueBytes, original > 0 {
            let ratio = stored > 0 ? String(format: "%.2f", Double(original) / Double(stored)) : "-"
            rows.append(("values", "\(ByteCount.format(original)) as sent, \(ByteCount.format(stored)) as stored (\(ratio)x)"))
        }
        if stats.escrowCount > 0 {
            rows.append(("escrow copies", "\(plural(stats.escrowCount, "record")), \(ByteCount.format(stats.escrowBytes)) stored (sent at ack level kafka, not answered by Kafka; ready records at the next start)"))
        }
        if let oldest = stats.oldestTimestamp, let newest = stats.newestTimestamp {
            rows.append(("oldest", Clock.moment(oldest, now: now)))
            rows.append(("newest", Clock.moment(newest, now: now)))
        }
        let width = rows.map(\.0.count).max() ?? 0
        for (label, value) in rows {
            print(label.padding(toLength: width + 2, withPad: " ", startingAt: 0) + value)
        }
        if !stats.topics.isEmpty {
            print("")
            var table = TextTable(columns: ["TOPIC", "READY", "STORED", "DEAD", "DEAD STORED"], rightAligned: [1, 2, 3, 4])
            for topic in stats.topics {
                table.add([topic.topic, "\(topic.readyCount)", ByteCount.format(topic.readyBytes), "\(topic.deadCount)", ByteCount.format(topic.deadBytes)])
            }
            print(table.render(), terminator: "")
        }
        print("")
        print(Self.storedBytesNote)
    }

    /// Says which bytes these are: `replay --dry-run` counts payload only.
    static let storedBytesNote = "(stored bytes are payload plus \(Spool.rowOverhead) B a record and 2 B a header of storage overhead, "
        + "as counted against the spool's byte bound; `replay --dry-run` counts payload only)"
}
