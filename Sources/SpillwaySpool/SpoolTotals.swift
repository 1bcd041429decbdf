/// Running counts and sizes of a spool, kept in the file and mirrored in memory,
/// so reading them never scans.
public struct SpoolTotals: Sendable, Hashable {
    public var readyCount: Int = 0
    public var readyBytes: Int = 0
    public var deadCount: Int = 0
    public var deadBytes: Int = 0
    /// Records evicted to stay within the bounds, since the file was created.
    public var evictedCount: Int = 0
    public var evictedBytes: Int = 0
    /// The id the next appended record gets.
    public var nextID: Int64 = 1

    public init() {}

    public var count: Int { readyCount + deadCount }
    public var bytes: Int { readyBytes + deadBytes }
}
