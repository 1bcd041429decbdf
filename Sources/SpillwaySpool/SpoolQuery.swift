/// Which records a listing, export or purge looks at.
public struct SpoolQuery: Sendable, Hashable {
    /// Which part of the spool.
    public enum Area: Sendable, Hashable {
        case ready
        case deadLetters
        /// Both, merged in id order.
        case all
    }

    public var area: Area
    public var topic: String?
    /// Only records created at or after this time (ms since 1970).
    public var since: Int64?
    /// Only records created before this time (ms since 1970).
    public var before: Int64?

    public init(area: Area = .ready, topic: String? = nil, since: Int64? = nil, before: Int64? = nil) {
        self.area = area
        self.topic = topic
        self.since = since
        self.before = before
    }

    /// The WHERE clause, with named parameters :topic, :since and :before.
    static let filterSQL = "(:topic IS NULL OR topic = :topic) AND (:since IS NULL OR created_at >= :since) AND (:before IS NULL OR created_at < :before)"

    func bindFilter(_ statement: SQLiteStatement) {
        let topicIndex = statement.parameterIndex(":topic")
        if let topic { statement.bind(topic, at: topicIndex) } else { statement.bindNull(at: topicIndex) }
        statement.bind(since, at: statement.parameterIndex(":since"))
        statement.bind(before, at: statement.parameterIndex(":before"))
    }
}
