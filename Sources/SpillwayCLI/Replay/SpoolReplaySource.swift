import SpillwaySpool

/// Replays a spool file's ready records oldest first; a record leaves the
/// spool only once Kafka acknowledged it, so a rerun replays just what is left.
struct SpoolReplaySource: ReplaySource {
    let spool: Spool
    let filter: ReplayFilter
    private var cursor: Int64 = 0
    private var total: Int
    private var done = 0
    /// Rows that break the rules: moved to the dead letters (or, on a dry run, skipped).
    private(set) var quarantined = 0

    init(spool: Spool, filter: ReplayFilter) throws {
        self.spool = spool
        self.filter = filter
        let query = SpoolQuery(area: .ready, topic: filter.topics.count == 1 ? filter.topics.first : nil, since: filter.since, before: filter.before)
        total = try spool.count(matching: query)
        if filter.topics.count > 1 {
            total = try filter.topics.reduce(0) { $0 + (try spool.count(matching: SpoolQuery(area: .ready, topic: $1, since: filter.since, before: filter.before))) }
        }
    }

    mutating func next(_ limit: Int) throws -> [(token: Int64, record: Record)] {
        var batch: [(token: Int64, record: Record)] = []
        while batch.count < limit {
            let page = try spool.readForReplay(limit: limit - batch.count, after: cursor)
            quarantined += page.quarantined.count
            // A writable spool moved them to the dead letters: settled, and counted as done
            // when `total` counted them (no filter: a bad row's topic and time are not known).
            if !spool.isReadOnly, filter.isEmpty { done += page.quarantined.count }
            guard let last = page.lastID else { break }
            cursor = last
            for spooled in page.records where filter.admits(spooled.record) {
                batch.append((spooled.id, filter.mapped(spooled.record)))
            }
        }
        return batch
    }

    mutating func acknowledge(_ tokens: [Int64]) throws {
        done += try spool.delete(ids: tokens)
    }

    mutating func deadLetter(_ items: [(token: Int64, reason: String)]) throws {
        for (reason, group) in Dictionary(grouping: items, by: \.reason) {
            done += try spool.moveToDeadLetters(ids: group.map(\.token), reason: reason)
        }
    }

    var remaining: Int? { max(0, total - done) }

    var resumeNote: String {
        "\(spool.totals.readyCount) ready records left in \(spool.configuration.path)"
    }
}
