/// Why an accepted record was not kept. Every drop is counted by reason.
public enum DropReason: String, Sendable, Hashable, CaseIterable, Codable {
    /// The spool's hand-off was full (the disk is slower than intake): the oldest record in memory went.
    case memoryFull = "memory_full"
    /// The spool was at its bound: its oldest records were evicted.
    case spoolEvicted = "spool_evicted"
    /// The spool could not store the record (disk full, I/O error).
    case spoolFailed = "spool_failed"
    /// The spool is unavailable (it could not be opened).
    case spoolUnavailable = "spool_unavailable"
    /// Sent after shutdown began.
    case shuttingDown = "shutting_down"
}
