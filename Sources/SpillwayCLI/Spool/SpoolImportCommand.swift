import ArgumentParser
import Foundation
import Spillway
import SpillwaySpool

struct SpoolImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Append NDJSON records (the `spool export` format, or records from elsewhere) to a spool, creating it if needed.",
        discussion: """
            Each line is one record: {"topic", "value", "value_encoding"?, "key"?, "key_encoding"?, "headers"?, \
            "partition"?, "id"?, "created_at_ms"?, "attempts"?, "dead_letter_reason"?}; only topic and value are \
            required (the same record as a POST /v1/topics/{topic}/records line, plus topic). Each line is checked \
            as intake checks a record; a refused line is reported with its number and the others are imported.

            Ids, creation times, attempt counts and dead-letter reasons are kept where the id order allows, so \
            importing an export into a new spool reproduces it exactly. Importing the same lines twice adds them \
            twice. Takes the writer lock.
            """
    )

    /// Refusals listed one by one; past this many, only counted.
    static let listedRefusals = 50

    @OptionGroup var location: SpoolPathOption
    @Argument(help: "NDJSON file to read; - for standard input.") var input: String
    @Option(help: "Bound on the spool file in bytes while importing; the oldest records are evicted beyond it.")
    var maxBytes: Int = SpoolConfiguration(path: "").maxBytes
    @Option(help: "Refuse records whose key, value and headers together exceed this many bytes (the service's limit).")
    var maxRecordBytes: Int = SpillwayConfiguration().maxRecordBytes

    func validate() throws {
        guard maxRecordBytes > 0 else { throw ValidationError("--max-record-bytes must be at least 1") }
    }

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
        var refused = 0
        func flush() throws {
            let result = try spool.importRecords(batch)
            imported += batch.count - result.evictedCount
            evicted += result.evictedCount
            batch.removeAll(keepingCapacity: true)
            progress.update(imported, bytesRead: reader.bytesRead)
        }
        let now = Clock.nowMilliseconds()
        while let (lineNumber, line) = try reader.next() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                batch.append(try ExportedRecord.spooledRecord(fromLine: line, maxRecordBytes: maxRecordBytes, now: now))
            } catch {
                refused += 1
                if refused <= Self.listedRefusals {
                    FileHandle.standardError.write(Data("\(input):\(lineNumber): \(error)\n".utf8))
                }
                continue
            }
            if batch.count == 1000 { try flush() }
        }
        if !batch.isEmpty { try flush() }
        progress.finish(imported)
        var summary = "imported \(plural(imported, "record")) into \(location.spool)"
        if evicted > 0 { summary += "; \(evicted) older records evicted to stay within \(ByteCount.format(maxBytes))" }
        guard refused == 0 else {
            let unlisted = refused > Self.listedRefusals ? " (the first \(Self.listedRefusals) listed above)" : " (listed above)"
            throw CLIError("\(summary); refused \(plural(refused, "line"))\(unlisted): fix them and import just those lines")
        }
        FileHandle.standardError.write(Data((summary + "\n").utf8))
    }
}
