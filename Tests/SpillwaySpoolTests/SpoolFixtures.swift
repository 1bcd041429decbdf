import SpillwaySpool
import SpillwayTestKit

/// Records and spools shaped for the spool tests.
enum SpoolFixtures {
    static func record(_ index: Int, topic: String = "events", valueBytes: Int = 100) -> Record {
        var value = Array("record-\(index)|".utf8)
        value += [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: max(0, valueBytes - value.count))
        return Record(topic: topic, key: Array("key-\(index)".utf8), value: value, timestamp: 1_700_000_000_000 + Int64(index))
    }

    static func records(_ range: Range<Int>, topic: String = "events", valueBytes: Int = 100) -> [Record] {
        range.map { record($0, topic: topic, valueBytes: valueBytes) }
    }

    /// The index `record(_:)` wrote into a value.
    static func index(of record: Record) -> Int? {
        let text = String(decoding: record.value.prefix(while: { $0 != UInt8(ascii: "|") }), as: UTF8.self)
        return text.hasPrefix("record-") ? Int(text.dropFirst(7)) : nil
    }

    static func configuration(_ directory: TemporaryDirectory, maxBytes: Int = 64 << 20, maxRecords: Int = 1_000_000) -> SpoolConfiguration {
        SpoolConfiguration(path: directory.file("spool.db"), maxBytes: maxBytes, maxRecords: maxRecords)
    }
}
