/// A memory bound, in records and in bytes; whichever is reached first binds.
public struct QueueLimits: Sendable, Hashable {
    public var maxRecords: Int
    public var maxBytes: Int

    public init(maxRecords: Int, maxBytes: Int) {
        self.maxRecords = maxRecords
        self.maxBytes = maxBytes
    }
}
