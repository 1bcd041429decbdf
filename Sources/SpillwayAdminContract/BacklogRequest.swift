/// `PUT /v1/backlog`: pause or resume the replay of the spool, or set its
/// ceilings and floor. Every field is optional; the answer is `AdminStatus.Replay`.
/// The ranges the values must be in are the service's settings keys' (`problem()`).
public struct BacklogRequest: AdminRequest, Equatable {
    public var paused: Bool?
    public var recordsPerSecond: Double?
    public var bytesPerSecond: Double?
    /// The floor of the adaptive replay rate.
    public var minRecordsPerSecond: Double?
    /// One cluster's replay, when the service runs several; `nil`: every cluster's.
    public var cluster: String?

    /// Spelt out, as on the wire, so that errors name the fields as clients send them.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case paused
        case recordsPerSecond = "records_per_second"
        case bytesPerSecond = "bytes_per_second"
        case minRecordsPerSecond = "min_records_per_second"
        case cluster
    }

    public static var fieldNames: [String] { CodingKeys.allCases.map(\.stringValue) }

    public init(
        paused: Bool? = nil, recordsPerSecond: Double? = nil, bytesPerSecond: Double? = nil, minRecordsPerSecond: Double? = nil, cluster: String? = nil
    ) {
        self.cluster = cluster
        self.paused = paused
        self.recordsPerSecond = recordsPerSecond
        self.bytesPerSecond = bytesPerSecond
        self.minRecordsPerSecond = minRecordsPerSecond
    }
}
