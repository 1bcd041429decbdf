import SpillwaySpool

/// Where `spillway replay` takes records from, and how it remembers what Kafka
/// has acknowledged, so an interrupted replay resumes where it stopped.
protocol ReplaySource {
    /// Up to `limit` more records that pass the filters, each with a token to acknowledge it by.
    mutating func next(_ limit: Int) throws -> [(token: Int64, record: Record)]
    /// Kafka stored these: remove them (spool) or move the resume point past them (export).
    mutating func acknowledge(_ tokens: [Int64]) throws
    /// Kafka refused these for a reason about the record.
    mutating func deadLetter(_ items: [(token: Int64, reason: String)]) throws
    /// Records still to go, when known (for the progress bar).
    var remaining: Int? { get }
    /// Where the replay stands, for the summary.
    var resumeNote: String { get }
    /// Stored records that break the rules intake applies, never sent.
    var quarantined: Int { get }
}

/// The filters shared by every source.
struct ReplayFilter {
    var topics: Set<String>
    var since: Int64?
    var before: Int64?
    var topicMap: [String: String]

    /// No filter at all: every ready record is replayed.
    var isEmpty: Bool { topics.isEmpty && since == nil && before == nil }

    func admits(_ record: Record) -> Bool {
        (topics.isEmpty || topics.contains(record.topic))
            && (since.map { record.timestamp >= $0 } ?? true)
            && (before.map { record.timestamp < $0 } ?? true)
    }

    /// The record as it goes to Kafka: renamed by the topic map.
    func mapped(_ record: Record) -> Record {
        var record = record
        if let renamed = topicMap[record.topic] { record.topic = renamed }
        return record
    }
}
