import SpillwaySpool

/// Records and spools for the tests of every target: one set of fixtures.
package enum SpoolFixtures {
    /// A record whose value starts with `record-INDEX|`, padded to `valueBytes`.
    package static func record(_ index: Int, topic: String = "events", valueBytes: Int = 100) -> Record {
        var value = Array("record-\(index)|".utf8)
        value += [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: max(0, valueBytes - value.count))
        return Record(topic: topic, key: Array("key-\(index)".utf8), value: value, timestamp: 1_700_000_000_000 + Int64(index))
    }

    package static func records(_ range: Range<Int>, topic: String = "events", valueBytes: Int = 100) -> [Record] {
        range.map { record($0, topic: topic, valueBytes: valueBytes) }
    }

    /// The index `record(_:)` wrote into a value.
    package static func index(of record: Record) -> Int? {
        let text = String(decoding: (record.value ?? []).prefix(while: { $0 != UInt8(ascii: "|") }), as: UTF8.self)
        return text.hasPrefix("record-") ? Int(text.dropFirst(7)) : nil
    }

    package static func configuration(
        _ directory: TemporaryDirectory, maxBytes: Int = 64 << 20, maxRecords: Int = 1_000_000, compression: SpoolConfiguration.Compression = .zstd
    ) -> SpoolConfiguration {
        SpoolConfiguration(path: directory.file("spool.db"), maxBytes: maxBytes, maxRecords: maxRecords, compression: compression)
    }

    /// `Spool.open`, once no child is between fork and exec: such a child holds a copy
    /// of every descriptor of this process, the lock of a spool closed a moment ago
    /// included, until it execs ("spool … is locked by another process", no pid,
    /// seen when a CLI test started children while a spool test reopened its spool).
    /// Every test opens spools for writing through this.
    package static func open(_ configuration: SpoolConfiguration, options: SpoolOpenOptions = .service) throws(SpoolError) -> Spool {
        ChildProcess.waitForSpawnsInProgress()
        return try Spool.open(configuration, options: options)
    }

    /// A spool at `path` holding `records` (and `deadLetters`, under one reason), closed again.
    package static func spool(at path: String, records: [Record], deadLetters: [Record] = [], reason: String = "MSG_SIZE_TOO_LARGE: Broker: Message size too large") throws {
        let spool = try open(SpoolConfiguration(path: path))
        defer { spool.close() }
        try spool.append(records)
        if !deadLetters.isEmpty { try spool.append(deadLetters, as: .deadLetter(reason: reason)) }
    }

    /// `count` records of `topic` whose values are `id-N` and keys `kN`, as the pipeline and tool tests read them back.
    package static func numbered(_ count: Int, topic: String) -> [Record] {
        (0..<count).map { Record(topic: topic, key: Array("k\($0)".utf8), value: Array("id-\($0)".utf8), timestamp: 1_764_000_000_000 + Int64($0)) }
    }

    /// A value with bytes that are not UTF-8, for the varied spool.
    package static let binaryValue: [UInt8] = [0x00, 0xFF, 0xC3, 0x28, 0x0A, 0x7F]

    /// A spool with a little of everything: text, binary, headers, keys, dead letters, two topics.
    package static func varied(at path: String) throws {
        var records: [Record] = []
        for index in 0..<30 {
            records.append(Record(
                topic: index % 3 == 0 ? "clicks" : "views",
                key: index % 2 == 0 ? Array("user-\(index)".utf8) : nil,
                value: Array("{\"n\":\(index),\"path\":\"/a/b\"}".utf8),
                headers: index % 5 == 0 ? [RecordHeader(name: "source", value: Array("web".utf8)), RecordHeader(name: "bin", value: [0xFE, 0x00])] : [],
                partition: index % 7 == 0 ? 2 : nil,
                timestamp: 1_764_000_000_000 + Int64(index) * 1000,
                attempts: index % 4
            ))
        }
        records.append(Record(topic: "views", key: [0x01, 0x02], value: binaryValue, timestamp: 1_764_000_100_000))
        records.append(Record(topic: "views", value: [], timestamp: 1_764_000_100_001))
        try spool(at: path, records: records, deadLetters: [Record(topic: "too-big", value: Array(repeating: 0x61, count: 2000), timestamp: 1_764_000_200_000)])
    }
}
