import Foundation
import Logging
import SpillwaySpool
import SpillwayTestKit

/// `--target spool-file`: hostile spool files, as a careless operator or a
/// failing disk makes them. Each round writes a spool of varied records with
/// the library, then puts hostile values (Int64's ends, NULL, text where an
/// integer belongs, malformed header blobs, invalid topic names, ids at or
/// below 0) into one to three cells of its rows or totals with plain SQL, and
/// then holds every reader to the issue-21 promises:
/// - the real `spillway` commands (`spool stats`, `list`, `peek`, `export`,
///   `check`, `replay --dry-run`) exit normally, never on a trap or a signal;
/// - export writes every row nobody touched, and `check` names exactly the
///   ready rows the library finds wrong (never an untouched one);
/// - opening for writing keeps the file (no row damage makes it "corrupt"),
///   and a replay of it delivers every untouched ready record exactly once,
///   unchanged, quarantines only touched rows, and leaves totals that agree
///   with the rows and a spool `check` passes.
struct SpoolFileFuzz {
    private var random: FuzzRandom
    private let spillway: String
    private let directory: TemporaryDirectory
    private(set) var count = 0
    private(set) var cellsChanged = 0
    private(set) var delivered = 0
    private(set) var quarantined = 0
    private(set) var commandsRun = 0

    /// The spool's own lines (a schema migrated per round) would bury the fuzzer's.
    private let quiet: Logger = {
        var logger = Logger(label: "spillway-fuzz")
        logger.logLevel = .critical
        return logger
    }()

    init(seed: UInt64, spillway: String) {
        random = FuzzRandom(seed: seed)
        self.spillway = spillway
        directory = TemporaryDirectory("spillway-spool-fuzz")
    }

    func remove() { directory.remove() }

    /// The columns of `records` and `dead_letters`, and of `spool_totals`.
    private static let rowColumns = [
        "id", "topic", "key", "value", "headers", "partition", "created_at", "attempts", "cost", "possibly_persisted", "value_is_null",
        "value_codec", "value_dictionary", "value_size",
    ]
    private static let totalsColumns = [
        "next_id", "ready_count", "ready_bytes", "dead_count", "dead_bytes", "evicted_count", "evicted_bytes", "escrow_count", "escrow_bytes",
    ]

    /// SQL literals a damaged or hand-edited cell can hold.
    private static let hostileValues = [
        "NULL", "\(Int64.min)", "\(Int64.min + 1)", "-1", "0", "1", "2", "2147483647", "2147483648", "\(Int64.max - 1)", "\(Int64.max)",
        "1e300", "-1e300", "-0.5", "3.25", "'yesterday'", "''", "'bad topic/../x'", "'\(String(repeating: "a", count: 300))'", "'.'",
        "'ok-topic'", "X''", "X'FF'", "X'FFFFFFFF00'", "X'8000'", "X'80000100'", "X'0161'", "X'01610162'", "CAST(X'FF41' AS TEXT)",
        "CAST(X'6576' AS BLOB)",
    ]

    /// One round. Returns the spool file and what went wrong, or `nil`.
    mutating func step() throws -> (file: String, problem: String)? {
        count += 1
        let path = directory.file("round-\(count).db")
        defer {
            for suffix in ["", "-wal", "-shm", ".lock"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let (ready, dead) = makeRecords()
        do {
            // No child of this process is between fork and exec (it would hold the lock): the commands run one at a time.
            let spool = try Spool.open(SpoolConfiguration(path: path), options: .service, logger: quiet)
            try spool.append(ready)
            try spool.append(dead, as: .deadLetter(reason: "fuzz: refused"))
            spool.close()
        }
        let touched = try damage(path, readyCount: ready.count, deadCount: dead.count)
        // Ready records are ids 1...ready.count, in order, then the dead letters.
        let untouched = Dictionary(uniqueKeysWithValues: ready.enumerated().map { (Int64($0.offset + 1), $0.element) }.filter { !touched.contains($0.0) })
        let untouchedDead = Set((1...dead.count).map { Int64(ready.count + $0) }).subtracting(touched)

        if let problem = try runCommands(path, untouched: Set(untouched.keys).union(untouchedDead), touched: touched) {
            return (keep(path), problem)
        }
        if let problem = try replay(path, untouched: untouched, touched: touched) {
            return (keep(path), problem)
        }
        return nil
    }

    /// Varied records: keys or none, NULL, empty and binary values, headers with NULL values, partitions.
    private mutating func makeRecords() -> (ready: [Record], dead: [Record]) {
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
        func record(_ index: Int) -> Record {
            let value: [UInt8]? = switch random.below(6) {
            case 0: nil
            case 1: []
            case 2: bytes(random.below(64))
            // Stored as a zstd frame (spool.compression's default): the decompression path.
            case 3: Array(String(repeating: "{\"n\":\(index),\"field\":\"text\"}", count: 1 + random.below(12)).utf8)
            default: Array("value-\(index)".utf8)
            }
            var headers: [RecordHeader] = []
            for header in 0..<random.below(4) {
                headers.append(RecordHeader(name: "h\(header)", value: random.chance(25) ? nil : bytes(random.below(8))))
            }
            return Record(
                topic: ["events", "a.b", "c_d-e"][random.below(3)],
                key: random.chance(30) ? nil : Array("key-\(index)".utf8),
                value: value,
                headers: headers,
                partition: random.chance(50) ? nil : Int32(random.below(6)) - (random.chance(10) ? 1 : 0),
                timestamp: Int64(random.below(2_000_000_000)) * 1000,
                attempts: random.below(4)
            )
        }
        return ((0..<24).map(record), (24..<28).map(record))
    }

    /// Writes hostile values into one to three cells; a write SQLite refuses
    /// (NOT NULL, a duplicate id) changes nothing. Returns the ids of the rows
    /// changed, as they were before.
    private mutating func damage(_ path: String, readyCount: Int, deadCount: Int) throws -> Set<Int64> {
        let connection = try SQLiteConnection(path: path, mode: .readWrite)
        var touched = Set<Int64>()
        for _ in 0...random.below(3) {
            var value = Self.hostileValues[random.below(Self.hostileValues.count)]
            let sql: String
            var id: Int64?
            var column = ""
            switch random.below(20) {
            case 0:
                sql = "UPDATE spool_totals SET \(Self.totalsColumns[random.below(Self.totalsColumns.count)]) = \(value)"
            case 1, 2:
                id = Int64(readyCount + 1 + random.below(deadCount))
                column = Self.rowColumns[random.below(Self.rowColumns.count)]
                sql = "UPDATE dead_letters SET \(column) = \(value) WHERE id = \(id!)"
            default:
                id = Int64(1 + random.below(readyCount))
                column = Self.rowColumns[random.below(Self.rowColumns.count)]
                if column == "value", random.chance(50) { value = damagedFrame() }
                sql = "UPDATE records SET \(column) = \(value) WHERE id = \(id!)"
            }
            // An id already changed is not found by `WHERE id =` any more: nothing happens.
            if (try? connection.execute(sql)) != nil, connection.changes > 0 {
                cellsChanged += 1
                if let id { touched.insert(id) }
                // The row now goes by its new id (any integer, or what SQLite made of the literal).
                if column == "id", let new = Int64(value) { touched.insert(new) }
            }
        }
        return touched
    }

    /// An SQL expression for a stored zstd frame gone bad (a value stored as sent
    /// takes it as new bytes): cut short, one byte changed, bytes added, or a
    /// frame header before random bytes. Hex from the round's generator, so a
    /// seed replays the same damage.
    private mutating func damagedFrame() -> String {
        func hex(_ count: Int) -> String {
            (0..<count).map { _ in String(format: "%02X", Int(random.next() & 0xFF)) }.joined()
        }
        switch random.below(4) {
        case 0: return "substr(value, 1, max(0, length(value) - \(1 + random.below(8))))"
        case 1:
            let at = 1 + random.below(24)
            return "substr(value, 1, \(at - 1)) || X'\(hex(1))' || substr(value, \(at + 1))"
        case 2: return "value || X'\(hex(1 + random.below(8)))'"
        default: return "X'28B52FFD\(hex(random.below(40)))'"
        }
    }

    /// The read-only commands, as an operator runs them, on the damaged file.
    private mutating func runCommands(_ path: String, untouched: Set<Int64>, touched: Set<Int64>) throws -> String? {
        let expected: Set<Int64>
        do {
            let inspection = try Spool.openForInspection(path: path)
            defer { inspection.close() }
            expected = Set(try inspection.rowProblems(in: .ready, rules: SpoolRowRules()).map(\.id))
                .union(try inspection.readyIDsSharedWithDeadLetters())
        }
        if let wrong = expected.first(where: { !touched.contains($0) }) {
            return "the library finds a problem in row \(wrong), which nobody touched"
        }
        let peekID = ([Int64(1)] + Array(touched))[random.below(touched.count + 1)]
        let commands: [[String]] = [
            ["spool", "stats"], ["spool", "stats", "--json"], ["spool", "list", "--limit", "100"], ["spool", "list", "--dead"],
            ["spool", "list", "--json", "--limit", "100"], ["spool", "peek", "--spool", path, "--", "\(peekID)"], ["spool", "export"],
            ["spool", "check"], ["replay", "--dry-run"],
        ]
        for command in commands {
            let result = try ChildProcess.run(spillway, command.contains("--spool") ? command : command + ["--spool", path])
            commandsRun += 1
            let allowed: Set<Int32> = command == ["spool", "check"] || command[1] == "peek" ? [0, 1] : [0]
            if !allowed.contains(result.status) || result.stderr.contains("Fatal error") {
                return "`spillway \(command.joined(separator: " "))` exited \(result.status): \(result.stderr.prefix(2000))"
            }
            switch command[1] {
            case "export":
                var exported = Set<Int64>()
                for line in result.stdout.split(separator: "\n") {
                    guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                          let id = (object["id"] as? NSNumber)?.int64Value
                    else { return "export wrote a line that is not a record: \(line.prefix(300))" }
                    exported.insert(id)
                }
                if let missing = untouched.subtracting(exported).min() {
                    return "export left out record \(missing), which nobody touched; stderr: \(result.stderr.prefix(1000))"
                }
            case "check":
                let named = Set(result.stdout.split(separator: "\n").compactMap { line -> Int64? in
                    guard line.hasPrefix("ready: record ") else { return nil }
                    return Int64(line.dropFirst("ready: record ".count).prefix { $0 != ":" })
                })
                if named != expected {
                    return "check named ready rows \(named.sorted()), the library finds \(expected.sorted()): \(result.stdout.prefix(2000))"
                }
            default:
                break
            }
        }
        return nil
    }

    /// Opens for writing (as the service does) and replays everything: every
    /// untouched ready record comes out once, unchanged; only touched rows are
    /// quarantined; the books balance; `spool check` then passes.
    private mutating func replay(_ path: String, untouched: [Int64: Record], touched: Set<Int64>) throws -> String? {
        let spool = try Spool.open(SpoolConfiguration(path: path), options: .service, logger: quiet)
        if let moved = spool.quarantinedPath {
            spool.close()
            return "opening for writing found the file corrupt and moved it to \(moved): row damage must never cost the file"
        }
        let readyAtOpen = spool.totals.readyCount
        defer { spool.close() }
        var seen: [Int64: Record] = [:]
        var quarantinedIDs: [Int64] = []
        var cursor: Int64 = 0
        while true {
            let page = try spool.readForReplay(limit: 1 + random.below(8), after: cursor)
            quarantinedIDs += page.quarantined.map(\.id)
            for spooled in page.records {
                if seen.updateValue(spooled.record, forKey: spooled.id) != nil { return "replay read record \(spooled.id) twice" }
            }
            try spool.delete(ids: page.records.map(\.id))
            guard let last = page.lastID else { break }
            cursor = last
        }
        delivered += seen.count
        quarantined += quarantinedIDs.count
        for (id, record) in untouched {
            guard let replayed = seen[id] else { return "replay never delivered record \(id), which nobody touched (quarantined: \(quarantinedIDs))" }
            if replayed != record { return "replay changed record \(id): \(replayed) instead of \(record)" }
        }
        if let wrong = quarantinedIDs.first(where: { !touched.contains($0) }) {
            return "replay quarantined record \(wrong), which nobody touched"
        }
        if seen.count + quarantinedIDs.count != readyAtOpen {
            return "\(readyAtOpen) ready at open, but \(seen.count) delivered and \(quarantinedIDs.count) quarantined"
        }
        if spool.totals.readyCount != 0 { return "ready count \(spool.totals.readyCount) after replaying everything" }
        let audit = try spool.auditTotals()
        if !audit.isConsistent { return "totals disagree with the rows after replay: \(audit.problems)" }
        spool.close()
        let check = try ChildProcess.run(spillway, ["spool", "check", "--spool", path])
        commandsRun += 1
        if check.status != 0 { return "`spool check` fails after a full replay: \(check.stdout.prefix(2000))\(check.stderr.prefix(1000))" }
        return nil
    }

    /// Where a failing round's file is copied (with its write-ahead log), to look at.
    var failureDirectory = "."

    private func keep(_ path: String) -> String {
        let kept = "\(failureDirectory)/spool-fuzz-failure-\(count).db"
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: path + suffix) {
            try? FileManager.default.removeItem(atPath: kept + suffix)
            try? FileManager.default.copyItem(atPath: path + suffix, toPath: kept + suffix)
        }
        return kept
    }
}
