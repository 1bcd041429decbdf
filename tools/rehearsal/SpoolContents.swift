import Foundation
import SpillwaySpool

/// What a spool holds, read the way `spillway spool list` reads it (without
/// writing): the `chaos-N` ids that are owed to Kafka, at the end of a run or
/// at the moment a service was killed.
package enum SpoolContents {
    /// Copies a spool's files (the database and its write-ahead log) once no
    /// process writes them, so they can be read later while a new instance
    /// already works on the original.
    package static func copy(_ path: String, to destination: String) throws {
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: path + suffix) {
            try? FileManager.default.removeItem(atPath: destination + suffix)
            try FileManager.default.copyItem(atPath: path + suffix, toPath: destination + suffix)
        }
    }

    /// The `chaos-N` ids in the spool at `path` (ready and dead letters), and how many dead letters.
    package static func ids(inSpoolAt path: String) throws -> (ids: Set<Int>, deadLetters: Int) {
        let spool = try Spool.openForInspection(path: path)
        defer { spool.close() }
        var ids = Set<Int>()
        var deadLetters = 0
        var after: Int64 = 0
        while case let page = try spool.records(matching: SpoolQuery(area: .all), after: after, limit: 5000), let last = page.last {
            for record in page {
                let text = String(decoding: record.record.value ?? [], as: UTF8.self)
                if text.hasPrefix("chaos-"), let id = Int(text.dropFirst(6)) { ids.insert(id) }
                if record.isDeadLetter { deadLetters += 1 }
            }
            after = last.id
        }
        return (ids, deadLetters)
    }
}
