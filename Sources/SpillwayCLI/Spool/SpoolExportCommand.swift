import ArgumentParser
import Foundation
import SpillwaySpool

struct SpoolExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write spooled records as NDJSON, one object per line, in id order.",
        discussion: "Binary keys, values and headers are base64. `spool import` reads the same format back exactly."
    )

    @OptionGroup var location: SpoolPathOption
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?
    @Option(help: "Only records of this topic.") var topic: String?
    @Flag(help: "Only dead letters.") var dead = false
    @Flag(help: "Only records waiting for replay (no dead letters).") var readyOnly = false

    func validate() throws {
        if dead && readyOnly { throw ValidationError("--dead and --ready-only exclude each other") }
    }

    func run() throws {
        let spool = try Spool.openForInspection(path: location.spool)
        let area: SpoolQuery.Area = dead ? .deadLetters : (readyOnly ? .ready : .all)
        let query = SpoolQuery(area: area, topic: topic)
        let sink = try OutputSink(path: output)
        let total = try spool.count(matching: query)
        var progress = ProgressReporter(verb: "exported", total: total, enabled: sink.isFile || !Terminal.isTerminal(STDOUT_FILENO))
        var afterID: Int64 = 0
        var written = 0
        while true {
            let page = try spool.records(matching: query, after: afterID, limit: 1000)
            guard let last = page.last else { break }
            var chunk = ""
            for record in page {
                chunk += try ExportedRecord(record).jsonLine()
                chunk += "\n"
            }
            try sink.write(chunk)
            written += page.count
            afterID = last.id
            progress.update(written)
        }
        try sink.close()
        progress.finish(written)
    }
}
