import ArgumentParser
import SpillwaySpool

struct SpoolListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List spooled records, oldest first."
    )

    @OptionGroup var location: SpoolPathOption
    @Option(help: "Only records of this topic.") var topic: String?
    @Option(help: "Only records created at or after this time: 10m, 2h, 3d ago, an ISO 8601 time, or epoch milliseconds.")
    var since: TimeArgument?
    @Option(help: "At most this many records.") var limit: Int = 20
    @Flag(help: "List dead letters instead of records waiting for replay.") var dead = false
    @Flag(help: "Print one JSON object per line (the export format) instead of a table.") var json = false

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let spool = try Spool.openForInspection(path: location.spool)
        let query = SpoolQuery(area: dead ? .deadLetters : .ready, topic: topic, since: since?.milliseconds)
        let records = try spool.records(matching: query, limit: limit)
        if json {
            for record in records where record.problem == nil { print(try ExportedRecord(record).jsonLine()) }
            SpoolExportCommand.reportSkipped(records.compactMap(\.problem))
            return
        }
        let now = Clock.nowMilliseconds()
        var columns = ["ID", "AGE", "TOPIC", "KEY", "BYTES", "TRIES", "VALUE"]
        if dead { columns.append("REASON") }
        var table = TextTable(columns: columns, rightAligned: [0, 1, 4, 5])
        for spooled in records {
            let record = spooled.record
            var row = [
                "\(spooled.id)",
                Clock.age(from: record.timestamp, to: now),
                record.topic,
                record.key.map { BytePreview.short($0, limit: 16) } ?? "-",
                record.value.map { "\($0.count)" } ?? "-",
                "\(record.attempts)",
                record.value.map { BytePreview.short($0, limit: 40) } ?? "(NULL)",
            ]
            if let problem = spooled.problem {
                // As far as it can be read; the problem replaces the value.
                row[6] = "UNREADABLE: \(problem.field.rawValue) \(problem.detail)"
            }
            if dead { row.append(spooled.deadLetterReason ?? "") }
            table.add(row)
        }
        print(table.render(), terminator: "")
        let total = try spool.count(matching: query)
        if total > records.count {
            print("(\(records.count) of \(total) shown; use --limit for more)")
        } else if records.isEmpty {
            print("(no records)")
        }
    }
}
