import SpillwaySpool

/// A record as an application hands it over, for the batch form of `send`.
public struct OutgoingRecord: Sendable, Hashable {
    public var topic: String
    public var key: [UInt8]?
    /// `nil` is Kafka's NULL value (a tombstone on a compacted topic), not an empty one.
    public var value: [UInt8]?
    public var headers: [RecordHeader]
    public var partition: Int32?
    /// Milliseconds since 1970-01-01 UTC that Kafka keeps as the record's time;
    /// `nil` stamps the moment of the hand-over. A Kafka producer's own timestamp
    /// arrives here, so it reaches Kafka unchanged.
    public var timestamp: Int64?

    public init(
        topic: String, key: [UInt8]? = nil, value: [UInt8]?, headers: [RecordHeader] = [], partition: Int32? = nil, timestamp: Int64? = nil
    ) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
        self.partition = partition
        self.timestamp = timestamp
    }
}
