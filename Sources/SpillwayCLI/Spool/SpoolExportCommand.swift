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
        var afterID = Int64.min
        var written = 0
        var read = 0
        var skipped: [SpoolRowProblem] = []
        while true {
            let page = try spool.records(matching: query, after: afterID, limit: 1000)
            guard let last = page.last else { break }
            var chunk = ""
            for record in page {
                // A line import would refuse, or give back other bytes, is no export: it is named below instead.
                if let problem = record.problem {
                    skipped.append(problem)
                    continue
                }
                chunk += try ExportedRecord(record).jsonLine()
                chunk += "\n"
            }
            try sink.write(chunk)
            read += page.count
            written = read - skipped.count
            afterID = last.id
            progress.update(read)
        }
        try sink.close()
        progress.finish(written)
        Self.reportSkipped(skipped)
    }

    /// Every row left out, on standard error: the export itself stays importable.
    static func reportSkipped(_ skipped: [SpoolRowProblem]) {
        guard !skipped.isEmpty else { return }
        let shown = skipped.prefix(20)
        var lines = ["warning: left out \(plural(skipped.count, "record")) that cannot be read as stored (damaged or edited by hand; `spillway spool check` lists them all):"]
        lines += shown.map { "  \($0)" }
        if skipped.count > shown.count { lines.append("  … and \(skipped.count - shown.count) more") }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
