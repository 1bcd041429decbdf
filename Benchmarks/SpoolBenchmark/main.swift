// Spool throughput against a raw sqlite3 C-API loop doing the same work, in the
// same run, on the same disk. Prints records/s for both and their ratio.
//
//   swift run -c release spool-benchmark [--quick]
//   swift run -c release spool-benchmark --open [RECORDS]   (what opening costs; OpenCost.swift)
//   swift run -c release spool-benchmark --compression      (zstd against none; CompressionCost.swift)
//
// The table against raw sqlite3 stores values as sent (`spool.compression = none`),
// as the raw loop does; the compression table that follows compares the two settings.
// Both sides use WAL with synchronous=NORMAL, one transaction per batch and
// prepared statements. "append" inserts N records; "drain" reads them back
// oldest-first in batches and deletes each batch by id.
import CSQLite
import Foundation
import Logging
import SpillwaySpool

let quick = CommandLine.arguments.contains("--quick")
let repetitions = quick ? 1 : 3
let scratch = FileManager.default.temporaryDirectory.appending(path: "spillway-spool-benchmark-\(getpid())").path
try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: scratch) }

func records(count: Int, valueBytes: Int) -> [Record] {
    (0..<count).map { index in
        Record(
            topic: "bench",
            key: Array("key-\(index % 1000)".utf8),
            value: [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: valueBytes),
            timestamp: 1_764_000_000_000 + Int64(index)
        )
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

// MARK: Spillway

func spillwayRun(_ input: [Record], batch: Int, path: String, compression: SpoolConfiguration.Compression = .none) throws -> (append: Double, drain: Double) {
    var logger = Logger(label: "spool-benchmark")
    logger.logLevel = .warning
    let spool = try Spool.open(
        SpoolConfiguration(path: path, maxBytes: 8 << 30, maxRecords: 100_000_000, integrityCheck: .skip, compression: compression), logger: logger
    )
    defer { spool.close() }
    let clock = ContinuousClock()
    let appendTime = try clock.measure {
        var start = 0
        while start < input.count {
            let end = min(start + batch, input.count)
            try spool.append(Array(input[start..<end]))
            start = end
        }
    }
    var drained = 0
    let drainTime = try clock.measure {
        while true {
            let page = try spool.readOldest(limit: batch)
            if page.isEmpty { break }
            try spool.delete(ids: page.map(\.id))
            drained += page.count
        }
    }
    precondition(drained == input.count, "drained \(drained) of \(input.count)")
    return (seconds(appendTime), seconds(drainTime))
}

// MARK: Raw sqlite3

func check(_ rc: Int32, _ db: OpaquePointer?, _ what: String) {
    if rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW {
        fatalError("\(what): \(String(cString: sqlite3_errmsg(db)))")
    }
}

func rawRun(_ input: [Record], batch: Int, path: String) -> (append: Double, drain: Double) {
    var db: OpaquePointer?
    check(sqlite3_open(path, &db), db, "open")
    defer { sqlite3_close(db) }
    check(sqlite3_exec(db, """
        PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
        CREATE TABLE records (id INTEGER PRIMARY KEY, topic TEXT NOT NULL, key BLOB, value BLOB NOT NULL, headers BLOB,
            partition INTEGER, created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, cost INTEGER NOT NULL);
        """, nil, nil, nil), db, "schema")
    var insert: OpaquePointer?
    check(sqlite3_prepare_v2(db, "INSERT INTO records (id, topic, key, value, headers, partition, created_at, attempts, cost) VALUES (?1, ?2, ?3, ?4, NULL, NULL, ?5, 0, ?6)", -1, &insert, nil), db, "prepare insert")
    var select: OpaquePointer?
    check(sqlite3_prepare_v2(db, "SELECT id, topic, key, value, headers, partition, created_at, attempts, cost FROM records ORDER BY id LIMIT ?1", -1, &select, nil), db, "prepare select")
    var delete: OpaquePointer?
    check(sqlite3_prepare_v2(db, "DELETE FROM records WHERE id = ?1", -1, &delete, nil), db, "prepare delete")
    defer {
        sqlite3_finalize(insert)
        sqlite3_finalize(select)
        sqlite3_finalize(delete)
    }
    let clock = ContinuousClock()
    let appendTime = clock.measure {
        var id: Int64 = 1
        var start = 0
        while start < input.count {
            let end = min(start + batch, input.count)
            check(sqlite3_exec(db, "BEGIN IMMEDIATE", nil, nil, nil), db, "begin")
            for record in input[start..<end] {
                sqlite3_bind_int64(insert, 1, id)
                sqlite3_bind_text(insert, 2, record.topic, -1, csqlite_transient())
                record.key!.withUnsafeBytes { _ = sqlite3_bind_blob(insert, 3, $0.baseAddress, Int32($0.count), csqlite_static()) }
                record.value!.withUnsafeBytes { value in
                    _ = sqlite3_bind_blob(insert, 4, value.baseAddress, Int32(value.count), csqlite_static())
                    sqlite3_bind_int64(insert, 5, record.timestamp)
                    sqlite3_bind_int64(insert, 6, Int64(record.value!.count + 64))
                    check(sqlite3_step(insert), db, "insert")
                }
                sqlite3_reset(insert)
                id += 1
            }
            check(sqlite3_exec(db, "COMMIT", nil, nil, nil), db, "commit")
            start = end
        }
    }
    var drained = 0
    let drainTime = clock.measure {
        var ids: [Int64] = []
        while true {
            ids.removeAll(keepingCapacity: true)
            sqlite3_bind_int64(select, 1, Int64(batch))
            while sqlite3_step(select) == SQLITE_ROW {
                ids.append(sqlite3_column_int64(select, 0))
                // Read topic, key and value, as a replayer must.
                let topic = String(cString: sqlite3_column_text(select, 1))
                let key = [UInt8](UnsafeRawBufferPointer(start: sqlite3_column_blob(select, 2), count: Int(sqlite3_column_bytes(select, 2))))
                let value = [UInt8](UnsafeRawBufferPointer(start: sqlite3_column_blob(select, 3), count: Int(sqlite3_column_bytes(select, 3))))
                precondition(!topic.isEmpty && !key.isEmpty && !value.isEmpty)
            }
            sqlite3_reset(select)
            if ids.isEmpty { break }
            check(sqlite3_exec(db, "BEGIN IMMEDIATE", nil, nil, nil), db, "begin")
            for id in ids {
                sqlite3_bind_int64(delete, 1, id)
                check(sqlite3_step(delete), db, "delete")
                sqlite3_reset(delete)
            }
            check(sqlite3_exec(db, "COMMIT", nil, nil, nil), db, "commit")
            drained += ids.count
        }
    }
    precondition(drained == input.count)
    return (seconds(appendTime), seconds(drainTime))
}

// MARK: Driver

func median(_ values: [Double]) -> Double {
    values.sorted()[values.count / 2]
}

func rate(_ count: Int, _ seconds: Double) -> String {
    let perSecond = Double(count) / seconds
    return perSecond >= 1_000_000 ? String(format: "%.2fM", perSecond / 1_000_000) : String(format: "%.0fk", perSecond / 1000)
}

if let flag = CommandLine.arguments.firstIndex(of: "--open") {
    let count = CommandLine.arguments.dropFirst(flag + 1).first.flatMap { Int($0) } ?? 1_000_000
    try measureOpenCost(records: count, valueBytes: 100, scratch: scratch)
    try? FileManager.default.removeItem(atPath: scratch)
    exit(0)
}

if CommandLine.arguments.contains("--compression") {
    try measureCompression(scratch: scratch, quick: quick)
    try? FileManager.default.removeItem(atPath: scratch)
    exit(0)
}

print("spool throughput, records/s (median of \(repetitions)); ratio = spillway / raw sqlite3, higher is better")
print("SQLite \(String(cString: sqlite3_libversion())), WAL, synchronous=NORMAL, scratch \(scratch)")
print("")
print("record  batch  records |  append spillway      raw  ratio |   drain spillway      raw  ratio")
var run = 0
for valueBytes in [100, 1024] {
    for batch in [1, 100, 1000] {
        let count = batch == 1 ? (quick ? 1000 : 5000) : (quick ? 10_000 : 100_000)
        let input = records(count: count, valueBytes: valueBytes)
        var ours: [(Double, Double)] = []
        var raw: [(Double, Double)] = []
        for _ in 0..<repetitions {
            run += 1
            // Alternate which side runs first, so drift in machine speed hits both alike.
            if run % 2 == 0 {
                raw.append(rawRun(input, batch: batch, path: "\(scratch)/raw-\(run).db"))
                ours.append(try spillwayRun(input, batch: batch, path: "\(scratch)/spool-\(run).db"))
            } else {
                ours.append(try spillwayRun(input, batch: batch, path: "\(scratch)/spool-\(run).db"))
                raw.append(rawRun(input, batch: batch, path: "\(scratch)/raw-\(run).db"))
            }
        }
        let oursAppend = median(ours.map(\.0)), oursDrain = median(ours.map(\.1))
        let rawAppend = median(raw.map(\.0)), rawDrain = median(raw.map(\.1))
        let label = valueBytes == 100 ? "100 B" : "1 KiB"
        func column(_ text: String, _ width: Int) -> String {
            String(repeating: " ", count: max(0, width - text.count)) + text
        }
        print(
            label.padding(toLength: 6, withPad: " ", startingAt: 0)
                + column("\(batch)", 7) + column("\(count)", 9) + " |"
                + column(rate(count, oursAppend), 17) + column(rate(count, rawAppend), 9)
                + column(String(format: "%.2fx", rawAppend / oursAppend), 7) + " |"
                + column(rate(count, oursDrain), 16) + column(rate(count, rawDrain), 9)
                + column(String(format: "%.2fx", rawDrain / oursDrain), 7)
        )
    }
}

try measureCompression(scratch: scratch, quick: quick)
