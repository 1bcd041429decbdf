import Foundation
import SpillwaySpool

/// Replays an NDJSON export (`spillway spool export`). Progress is the number of
/// leading lines fully dealt with, kept in `FILE.replay-progress`; a rerun
/// skips them. Dead letters in the export are skipped: Kafka refused them once.
struct ExportReplaySource: ReplaySource {
    let path: String
    let filter: ReplayFilter
    private let reader: LineReader
    private let progressPath: String
    /// Lines before this one are done.
    private var resumeLine: Int
    /// Lines read and settled (acknowledged, dead-lettered, filtered, blank) past `resumeLine`.
    private var settled = Set<Int>()
    private(set) var skippedDeadLetters = 0
    /// Creation time for records that give none.
    private let now = Clock.nowMilliseconds()

    init(path: String, filter: ReplayFilter) throws {
        self.path = path
        self.filter = filter
        reader = try LineReader(path: path)
        progressPath = path + ".replay-progress"
        let saved = (try? String(contentsOfFile: progressPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        resumeLine = saved.flatMap(Int.init) ?? 1
    }

    mutating func next(_ limit: Int) throws -> [(token: Int64, record: Record)] {
        var batch: [(token: Int64, record: Record)] = []
        while batch.count < limit, let (number, line) = try reader.next() {
            if number < resumeLine { continue }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                settle([number])
                continue
            }
            let exported: SpooledRecord
            do {
                exported = try ExportedRecord.spooledRecord(fromLine: line, maxRecordBytes: Int.max, now: now)
            } catch {
                throw CLIError("\(path):\(number): \(error)")
            }
            if exported.isDeadLetter {
                skippedDeadLetters += 1
                settle([number])
            } else if filter.admits(exported.record) {
                batch.append((Int64(number), filter.mapped(exported.record)))
            } else {
                settle([number])
            }
        }
        return batch
    }

    mutating func acknowledge(_ tokens: [Int64]) throws {
        settle(tokens.map(Int.init))
        try saveProgress()
    }

    mutating func deadLetter(_ items: [(token: Int64, reason: String)]) throws {
        settle(items.map { Int($0.token) })
        try saveProgress()
    }

    private mutating func settle(_ lines: [Int]) {
        settled.formUnion(lines)
        while settled.remove(resumeLine) != nil { resumeLine += 1 }
    }

    private func saveProgress() throws {
        try Data("\(resumeLine)\n".utf8).write(to: URL(fileURLWithPath: progressPath), options: .atomic)
    }

    var remaining: Int? { nil }

    /// An export line that breaks the rules stops the replay with its line number instead.
    var quarantined: Int { 0 }

    var resumeNote: String {
        "resume point: line \(resumeLine) (kept in \(progressPath))"
    }
}
