import SpillwaySpool

/// Intake's one path for a record: build it, check it (topic name, sizes,
/// partition), stamp the record id header (when ids are on) and a timestamp, and
/// size it for the memory bounds. Every `send` (one record or a batch, at any
/// acknowledgement level), and so every entry point, prepares its records here,
/// outside the pipeline's lock.
struct RecordPreparer: Sendable {
    /// A record ready to hand over, with its payload bytes, or why it was refused.
    enum Prepared: Sendable {
        case accepted(Record, size: Int)
        case rejected(Rejection)
    }

    let maxRecordBytes: Int
    /// Set when records carry an id header.
    let recordIDs: (header: String, ids: RecordIDs)?

    /// Prepares one record; `timestamp` is read now unless a batch gives its own.
    func prepare(topic: String, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader], partition: Int32?, timestamp: Int64? = nil) -> Prepared {
        var size = Record.payloadSize(topic: topic, key: key, value: value, headers: headers)
        if let rejection = Rejection.check(topic: topic, payloadSize: size, partition: partition, timestamp: timestamp, maxRecordBytes: maxRecordBytes) {
            return .rejected(rejection)
        }
        var headers = headers
        if let recordIDs {
            let id = recordIDs.ids.next()
            headers.append(RecordHeader(name: recordIDs.header, value: id))
            size += recordIDs.header.utf8.count + id.count
        }
        let record = Record(topic: topic, key: key, value: value, headers: headers, partition: partition, timestamp: timestamp ?? WallClock.milliseconds())
        return .accepted(record, size: size)
    }

    /// Prepares a batch in order, with one timestamp for the records that bring none.
    func prepare(_ records: [OutgoingRecord]) -> [Prepared] {
        let timestamp = WallClock.milliseconds()
        return records.map {
            prepare(topic: $0.topic, key: $0.key, value: $0.value, headers: $0.headers, partition: $0.partition, timestamp: $0.timestamp ?? timestamp)
        }
    }
}
