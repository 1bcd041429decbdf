/// `PUT /v1/backlog`: pause or resume the replay of the spool, or set its
/// ceilings and floor. Every field is optional; the answer is `AdminStatus.Replay`.
public struct BacklogRequest: Codable, Sendable, Equatable {
    public var paused: Bool?
    public var recordsPerSecond: Double?
    public var bytesPerSecond: Double?
    /// The floor of the adaptive replay rate.
    public var minRecordsPerSecond: Double?

    /// Spelt out, as on the wire, so that errors name the fields as clients send them.
    public enum CodingKeys: String, CodingKey {
        case paused
        case recordsPerSecond = "records_per_second"
        case bytesPerSecond = "bytes_per_second"
        case minRecordsPerSecond = "min_records_per_second"
    }

    public init(paused: Bool? = nil, recordsPerSecond: Double? = nil, bytesPerSecond: Double? = nil, minRecordsPerSecond: Double? = nil) {
        self.paused = paused
        self.recordsPerSecond = recordsPerSecond
        self.bytesPerSecond = bytesPerSecond
        self.minRecordsPerSecond = minRecordsPerSecond
    }

    /// Ceilings within the ranges of `replay.records_per_second` and
    /// `replay.bytes_per_second`; the problem names the request's field. The
    /// service checks it, and so does `spillway backlog rate` before sending.
    public func problem() -> String? {
        let checks: [(Double?, SettingsKey, CodingKeys)] = [
            (recordsPerSecond, SettingsKeys.replayRecordsPerSecond, .recordsPerSecond),
            (bytesPerSecond, SettingsKeys.replayBytesPerSecond, .bytesPerSecond),
            (minRecordsPerSecond, SettingsKeys.replayMinRecordsPerSecond, .minRecordsPerSecond),
        ]
        for (value, key, field) in checks {
            guard let value, case .number(let range) = key.kind, !range.contains(value) else { continue }
            return "\(field.stringValue) \(key.kind.outside(SettingsKey.Kind.plain(value)))"
        }
        return nil
    }
}
