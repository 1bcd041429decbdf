import Foundation
import Logging
import SpillwaySpool

/// `spool.compression = zstd` against `none` in the same run (issue 20): how
/// many records a spool of a given size holds, and spill (append) and replay
/// (read and delete) throughput, on realistic payloads: JSON events of
/// 100–1,000 bytes with repeating field names, and incompressible random bytes.
/// `spool-benchmark --compression`; also run at the end of a full run.
func measureCompression(scratch: String, quick: Bool) throws {
    var logger = Logger(label: "spool-benchmark")
    logger.logLevel = .warning
    let count = quick ? 20_000 : 100_000
    let boundBytes = quick ? 8 << 20 : 64 << 20
    let sets: [(name: String, records: [Record])] = [
        ("JSON 100-1000 B", jsonEvents(count)),
        ("random 100-1000 B", randomValues(count)),
    ]
    print("")
    print("compressed spool: zstd (dictionary per topic) vs none, same run; median of \(repetitions) for throughput")
    print("set                |   held in \(boundBytes >> 20) MiB: zstd     none  ratio | append zstd   none  ratio | drain zstd   none  ratio | largest stored - sent")
    var run = 0
    for set in sets {
        var held: [SpoolConfiguration.Compression: Int] = [:]
        var largestGrowth = Int.min
        for compression in SpoolConfiguration.Compression.allCases {
            run += 1
            let path = "\(scratch)/held-\(run).db"
            let spool = try Spool.open(SpoolConfiguration(path: path, maxBytes: boundBytes, integrityCheck: .skip, compression: compression), logger: logger)
            var appended = 0
            // Past the bound, until the spool has turned over at least once.
            while spool.totals.evictedCount == 0 || appended < 2 * spool.totals.count {
                let start = appended % set.records.count
                try spool.append(Array(set.records[start..<min(start + 1000, set.records.count)]))
                appended += min(1000, set.records.count - start)
            }
            held[compression] = spool.totals.count
            if compression == .zstd {
                // What the file holds against what was sent, row by row: compressed rows only shrink.
                for stored in try spool.records(matching: SpoolQuery(), after: 0, limit: 100_000) {
                    largestGrowth = max(largestGrowth, stored.cost - Spool.cost(of: stored.record))
                }
            }
            spool.close()
            try? FileManager.default.removeItem(atPath: path)
        }
        var times: [SpoolConfiguration.Compression: [(Double, Double)]] = [:]
        for _ in 0..<repetitions {
            for compression in run % 2 == 0 ? [.zstd, .none] : [SpoolConfiguration.Compression.none, .zstd] {
                run += 1
                times[compression, default: []].append(try spillwayRun(set.records, batch: 1000, path: "\(scratch)/c-\(run).db", compression: compression))
            }
        }
        let zstdAppend = median(times[.zstd]!.map(\.0)), noneAppend = median(times[SpoolConfiguration.Compression.none]!.map(\.0))
        let zstdDrain = median(times[.zstd]!.map(\.1)), noneDrain = median(times[SpoolConfiguration.Compression.none]!.map(\.1))
        let heldZstd = held[.zstd]!, heldNone = held[SpoolConfiguration.Compression.none]!
        func column(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        print(
            set.name.padding(toLength: 18, withPad: " ", startingAt: 0) + " |"
                + column("\(heldZstd)", 23) + column("\(heldNone)", 9) + column(String(format: "%.2fx", Double(heldZstd) / Double(heldNone)), 7) + " |"
                + column(rate(count, zstdAppend), 12) + column(rate(count, noneAppend), 7) + column(String(format: "%.2fx", noneAppend / zstdAppend), 7) + " |"
                + column(rate(count, zstdDrain), 11) + column(rate(count, noneDrain), 7) + column(String(format: "%.2fx", noneDrain / zstdDrain), 7) + " |"
                + column("\(largestGrowth) B", 22)
        )
    }
    print("(held: records a spool of that bound keeps once full; ratio zstd / none, higher is better; append and drain ratios are none's time / zstd's)")
}

/// Page views as a web service logs them: the same field names every time, values that vary.
func jsonEvents(_ count: Int) -> [Record] {
    var generator = SplitMix(seed: 20)
    let paths = ["/", "/products", "/products/item", "/cart", "/checkout", "/search", "/account/orders", "/help/shipping"]
    let agents = ["Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)", "curl/8.5.0"]
    return (0..<count).map { index in
        var json = "{\"type\":\"page_view\",\"event_id\":\"\(generator.next() % 1_000_000_000_000)\",\"ts\":\(1_764_000_000_000 + index * 13)"
        json += ",\"user\":{\"id\":\(generator.next() % 5_000_000),\"country\":\"\(["DE", "FR", "US", "BR", "JP"][Int(generator.next() % 5)])\",\"plan\":\"\(["free", "pro", "team"][Int(generator.next() % 3)])\"}"
        json += ",\"page\":{\"path\":\"\(paths[Int(generator.next() % UInt64(paths.count))])/\(generator.next() % 10_000)\",\"referrer\":\"https://www.example.com/q?term=\(generator.next() % 100_000)\"}"
        json += ",\"agent\":\"\(agents[Int(generator.next() % UInt64(agents.count))])\",\"latency_ms\":\(generator.next() % 2000)"
        // Up to 1,000 bytes: a list of items viewed, each with the same fields.
        let items = Int(generator.next() % 8)
        json += ",\"items\":["
        for item in 0..<items {
            json += (item > 0 ? "," : "") + "{\"sku\":\"SKU-\(generator.next() % 100_000)\",\"price_cents\":\(generator.next() % 50_000),\"qty\":\(1 + generator.next() % 3)}"
        }
        json += "]}"
        return Record(topic: "page-views", key: Array("user-\(index % 10_000)".utf8), value: Array(json.utf8), timestamp: 1_764_000_000_000 + Int64(index))
    }
}

/// Bytes no compressor can shrink.
func randomValues(_ count: Int) -> [Record] {
    var generator = SplitMix(seed: 7)
    return (0..<count).map { index in
        let size = 100 + Int(generator.next() % 901)
        let value = (0..<size).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        return Record(topic: "blobs", key: Array("k-\(index % 1000)".utf8), value: value, timestamp: 1_764_000_000_000 + Int64(index))
    }
}

/// A seeded generator: the same payloads in every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
