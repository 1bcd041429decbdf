import SpillwaySpool
import Synchronization

/// Ids unique per record across restarts and instances, for the optional
/// record id header (`SpillwayConfiguration.recordIDHeader`): a random 64-bit
/// prefix drawn when the buffer is made, then a counter. Consumers that see the
/// same id twice have a duplicate, and can drop it.
final class RecordIDs: Sendable {
    /// Header a re-sent record carries when its first delivery may have reached
    /// Kafka already (possibly persisted): the copy may be a duplicate.
    static let possiblyPersistedHeader = RecordHeader(name: "spillway-possibly-persisted", value: Array("1".utf8))

    private let prefix: String
    private let counter = Atomic<UInt64>(0)

    init() {
        let random = UInt64.random(in: 1...UInt64.max)
        let hex = String(random, radix: 16)
        prefix = String(repeating: "0", count: 16 - hex.count) + hex + "-"
    }

    /// The longest id `next()` makes: 16 hex digits, a dash, a counter of up to 20 digits.
    static let maxIDBytes = 16 + 1 + 20

    /// The next id, as the header's value: `3f2a9c1d5e6b7a80-42`.
    func next() -> [UInt8] {
        let sequence = counter.add(1, ordering: .relaxed).newValue
        return Array((prefix + String(sequence)).utf8)
    }
}
