import ArgumentParser
import Foundation
import SpillwaySpool

struct SpoolImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Append NDJSON records (the `spool export` format) to a spool, creating it if needed.",
        discussion: """
            Ids, creation times, attempt counts and dead-letter reasons are kept where the id order allows, \
            so importing an export into a new spool reproduces it exactly. Importing the same export twice adds \
            its records twice. Takes the writer lock.
            """
    )

    @OptionGroup var location: SpoolPathOption
    @Argument(help: "NDJSON file to read; - for standard input.") var input: String
    @Option(help: "Bound on the spool file in bytes while importing; the oldest records are evicted beyond it.")
    var maxBytes: Int = SpoolConfiguration(path: "").maxBytes

    func run() throws {
        let reader = try LineReader(path: input)
        var configuration = SpoolConfiguration(path: location.spool)
        configuration.maxBytes = maxBytes
        let spool = try Spool.open(configuration, options: SpoolOpenOptions(createIfMissing: true, quarantineCorrupt: false))
        defer { spool.close() }
        var progress = ProgressReporter(verb: "imported", totalBytes: reader.totalBytes, enabled: true)
        var batch: [SpooledRecord] = []
        var imported = 0
        var evicted = 0
        func flush() throws {
            let result = try spool.importRecords(batch)
            imported += batch.count - result.evictedCount
            evicted += result.evictedCount
            batch.removeAll(keepingCapacity: true)
            progress.update(imported, bytesRead: reader.bytesRead)
        }
        while let (lineNumber, line) = try reader.next() {
            if line.allSatisfy(\.isWhitespace) { continue }
            do {
                batch.append(try ExportedRecord.decode(line).spooledRecord())
            } catch {
                // Keep what came before the bad line, so the message can say exactly where to resume.
                if !batch.isEmpty { try flush() }
                progress.finish(imported)
                throw CLIError("\(input):\(lineNumber): \(error); \(imported == 0 ? "nothing was imported" : "imported \(plural(imported, "record")) from the lines before it, nothing from it on")")
            }
            if batch.count == 1000 { try flush() }
        }
        if !batch.isEmpty { try flush() }
        progress.finish(imported)
        var summary = "imported \(plural(imported, "record")) into \(location.spool)"
        if evicted > 0 { summary += "; \(evicted) older records evicted to stay within \(ByteCount.format(maxBytes))" }
        FileHandle.standardError.write(Data((summary + "\n").utf8))
    }
}
