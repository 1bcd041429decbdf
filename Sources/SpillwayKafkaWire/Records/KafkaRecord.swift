/// One record of a batch, decompressed and copied out of the frame once.
package struct KafkaRecord: Sendable, Hashable {
    /// baseTimestamp + the record's delta: the client's create time, or with
    /// log-append-time batches whatever the client put there (the broker rewrites it).
    package var timestamp: Int64
    package var offsetDelta: Int32
    package var key: [UInt8]?
    package var value: [UInt8]?
    package var headers: [KafkaRecordHeader]

    package init(timestamp: Int64, offsetDelta: Int32, key: [UInt8]?, value: [UInt8]?, headers: [KafkaRecordHeader] = []) {
        self.timestamp = timestamp
        self.offsetDelta = offsetDelta
        self.key = key
        self.value = value
        self.headers = headers
    }
}
