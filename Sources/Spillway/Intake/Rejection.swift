/// Why `send` refused a record outright. Rejections are about the input; nothing is accepted.
public enum Rejection: Sendable, Hashable, CustomStringConvertible {
    /// Kafka's rules: 1–249 characters of `a-z A-Z 0-9 . _ -`, and not `.` or `..`.
    case invalidTopic(String, why: String)
    /// Key, value and headers together exceed the configured limit.
    case recordTooLarge(size: Int, limit: Int)
    /// Below -1 ("any partition"): no partition has such a number, so Kafka could only refuse it later.
    case invalidPartition(Int32)
    /// Below -1 (Kafka's "no timestamp"): Kafka's own producers refuse such a
    /// timestamp (brokers with timestamp bounds too), and a spool holding one
    /// would quarantine it on replay.
    case invalidTimestamp(Int64)

    /// Short, stable name for counters.
    public var code: String {
        switch self {
        case .invalidTopic: "invalid_topic"
        case .recordTooLarge: "record_too_large"
        case .invalidPartition: "invalid_partition"
        case .invalidTimestamp: "invalid_timestamp"
        }
    }

    public var description: String {
        switch self {
        case let .invalidTopic(topic, why): "invalid topic name \"\(topic.prefix(300))\": \(why)"
        case let .recordTooLarge(size, limit): "record of \(size) bytes is over the limit of \(limit) bytes"
        case let .invalidPartition(partition): "partition \(partition) does not exist: give a partition number from 0, or -1 (or none) to let Kafka choose"
        case let .invalidTimestamp(timestamp): "timestamp \(timestamp) is before 1970: give milliseconds since 1970-01-01 UTC, or -1 (or none) for no timestamp"
        }
    }

    /// The intake checks, shared by `SpillwayBuffer.send` and tools that take records
    /// from elsewhere (`spillway spool import`), so both refuse the same records.
    /// - Parameter payloadSize: `Record.payloadSize` of the record, topic included.
    package static func check(topic: String, payloadSize: Int, partition: Int32?, timestamp: Int64? = nil, maxRecordBytes: Int) -> Rejection? {
        if let problem = TopicName.problem(with: topic) {
            return .invalidTopic(topic, why: problem)
        }
        let recordBytes = payloadSize - topic.utf8.count
        if recordBytes > maxRecordBytes {
            return .recordTooLarge(size: recordBytes, limit: maxRecordBytes)
        }
        if let partition, partition < -1 {
            return .invalidPartition(partition)
        }
        if let timestamp, timestamp < -1 {
            return .invalidTimestamp(timestamp)
        }
        return nil
    }
}
