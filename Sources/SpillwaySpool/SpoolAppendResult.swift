/// What one append did. Evicted records are gone: the caller counts them as dropped.
public struct SpoolAppendResult: Sendable, Hashable {
    /// First and last id given to the appended records (consecutive for plain
    /// appends); `nil` when none fit.
    public var ids: ClosedRange<Int64>?
    /// Records removed to make room, older spooled ones first, then the batch's own oldest.
    public var evictedCount: Int
    public var evictedBytes: Int

    public var appendedCount: Int { ids?.count ?? 0 }
}
