/// What one read for replay found: the records that may be sent, and the rows
/// that may not, each with its problem.
public struct SpoolReplayPage: Sendable {
    /// Records to send, in id order.
    public var records: [SpooledRecord]
    /// Rows that break the rules (`SpoolRowRules`), in id order. A writable spool
    /// has already moved them to the dead letters; a read-only one skipped them.
    public var quarantined: [SpoolRowProblem]
    /// The largest id read, sent or quarantined: the cursor for the next read.
    /// `nil` when nothing was read (past the newest record).
    public var lastID: Int64?
}
