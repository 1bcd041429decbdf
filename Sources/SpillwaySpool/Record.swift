/// One Kafka record as Spillway carries it: what the producer will send, plus
/// when it was accepted and how often delivery was tried.
public struct Record: Sendable, Hashable {
    public var topic: String
    /// `nil` means no key (Kafka's partitioner then spreads records).
    public var key: [UInt8]?
    /// `nil` is Kafka's NULL value (a tombstone on a compacted topic), kept
    /// distinct from an empty value all the way to Kafka.
    public var value: [UInt8]?
    public var headers: [RecordHeader]
    /// `nil` lets the producer's partitioner choose.
    public var partition: Int32?
    /// Milliseconds since 1970-01-01 UTC, stamped at intake.
    public var timestamp: Int64
    /// Replays from the spool that did not end in an acknowledgement.
    public var attempts: Int
    /// Its delivery was on the wire when it failed: it may already be in Kafka,
    /// so sending it again may duplicate it.
    public var possiblyPersisted: Bool

    public init(
        topic: String,
        key: [UInt8]? = nil,
        value: [UInt8]?,
        headers: [RecordHeader] = [],
        partition: Int32? = nil,
        timestamp: Int64,
        attempts: Int = 0,
        possiblyPersisted: Bool = false
    ) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
        self.partition = partition
        self.timestamp = timestamp
        self.attempts = attempts
        self.possiblyPersisted = possiblyPersisted
    }

    /// Bytes of payload: topic, key, value and headers (a NULL counts as 0). Bounds are charged in these.
    public var payloadSize: Int {
        Self.payloadSize(topic: topic, key: key, value: value, headers: headers)
    }

    /// The payload size of a record not built yet, so intake can check it first.
    @inlinable
    public static func payloadSize(topic: String, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader]) -> Int {
        var size = topic.utf8.count + (key?.count ?? 0) + (value?.count ?? 0)
        for header in headers { size += header.name.utf8.count + (header.value?.count ?? 0) }
        return size
    }
}
