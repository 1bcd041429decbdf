/// Who answers for a record a caller waits on (`spool` or `kafka`) when the
/// queues let it go for want of memory. `RecordQueues` knows the places and the
/// bounds, not the callers: this is the one question it asks about them. A
/// generic parameter, not an existential: the hand-over stays free of dynamic calls.
protocol AwaitedRecordKeeper {
    /// `pending` leaves the hand-off for want of memory. Returns whether its
    /// committed escrow copy keeps it (it is then spooled, and its caller answered);
    /// otherwise its caller is told it was dropped for `reason`.
    mutating func handoffDropped(_ pending: PendingRecord, _ reason: DropReason) -> Bool
}
