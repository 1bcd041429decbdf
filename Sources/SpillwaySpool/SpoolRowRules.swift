/// What a stored row must satisfy to be sent to Kafka: the rules intake and
/// `spool import` apply, checked again on the way out because a file on disk
/// can be damaged or edited by hand. A row that fails them is quarantined (moved
/// to the dead letters with the reason) instead of stopping replay.
public struct SpoolRowRules: Sendable, Hashable {
    /// Key, value and headers together, in bytes, as intake's `maxRecordBytes`.
    /// The service passes its own limit; tools that only read default to the
    /// largest limit the service accepts, so they never flag a row it would send.
    public var maxRecordBytes: Int

    /// The largest `max_record_bytes` the service accepts.
    public static let largestRecordBytes = 1 << 30

    public init(maxRecordBytes: Int = SpoolRowRules.largestRecordBytes) {
        self.maxRecordBytes = maxRecordBytes
    }
}
