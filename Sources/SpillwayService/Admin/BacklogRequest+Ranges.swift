import SpillwayAdminContract

extension BacklogRequest {
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
