/// How a spool is opened and bounded. A value type: copy it, change it, pass it on.
public struct SpoolConfiguration: Sendable, Hashable {
    /// How hard each committed batch is pushed to the disk.
    public enum Durability: String, Sendable, Hashable, CaseIterable {
        /// WAL with `synchronous = NORMAL`: a power cut may lose the last few batches,
        /// a process crash loses none. The usual choice for a queue.
        case normal
        /// `synchronous = FULL`: every committed batch is on disk before the append returns.
        case full
    }

    /// How much of the file is verified when the spool opens.
    public enum IntegrityCheck: String, Sendable, Hashable, CaseIterable {
        /// `PRAGMA quick_check`: every page's structure, not index contents (we keep no secondary index).
        case quick
        /// `PRAGMA integrity_check`: slower, also cross-checks indexes.
        case full
        /// Trust the file. Opening a large spool is then instant.
        case skip
    }

    /// How record values are stored. Rows say how they were stored, so a spool
    /// may hold both and the setting can change between runs.
    public enum Compression: String, Sendable, Hashable, CaseIterable {
        /// zstd, with a dictionary per topic trained from its first values and
        /// kept in the spool, so small records compress too. Values that would
        /// not get smaller are stored as sent. The default: a spool of the same
        /// size holds several times more events (BENCHMARKS.md).
        case zstd
        /// Values as sent, byte for byte (the format before schema version 6).
        case none
    }

    /// Path of the SQLite file. Its directory is created if missing.
    public var path: String
    /// Upper bound on the database file. Oldest records are evicted to stay below it.
    public var maxBytes: Int
    /// Upper bound on records held (ready and dead letters together).
    public var maxRecords: Int
    public var durability: Durability
    public var integrityCheck: IntegrityCheck
    /// Pages the write-ahead log may gather before it is checkpointed into the
    /// database; the log is truncated back to this size after each checkpoint.
    public var walCheckpointPages: Int
    /// What a row must satisfy to be sent (replay quarantines the others).
    public var rowRules: SpoolRowRules
    /// How values appended from now on are stored.
    public var compression: Compression

    /// The smallest `maxBytes` accepted: the schema alone takes a few pages.
    public static let minimumMaxBytes = 256 * 1024

    public init(
        path: String,
        maxBytes: Int = 1 << 30,
        maxRecords: Int = 10_000_000,
        durability: Durability = .normal,
        integrityCheck: IntegrityCheck = .quick,
        walCheckpointPages: Int = 1000,
        rowRules: SpoolRowRules = SpoolRowRules(),
        compression: Compression = .zstd
    ) {
        self.path = path
        self.maxBytes = maxBytes
        self.maxRecords = maxRecords
        self.durability = durability
        self.integrityCheck = integrityCheck
        self.walCheckpointPages = walCheckpointPages
        self.rowRules = rowRules
        self.compression = compression
    }

    /// Checks the values, naming the first one that is wrong.
    public func validate() throws(SpoolError) {
        if path.isEmpty { throw .invalidConfiguration("spool path must not be empty") }
        if maxBytes < Self.minimumMaxBytes {
            throw .invalidConfiguration("spool maxBytes must be at least \(Self.minimumMaxBytes) bytes, got \(maxBytes)")
        }
        if maxRecords < 1 { throw .invalidConfiguration("spool maxRecords must be at least 1, got \(maxRecords)") }
        if rowRules.maxRecordBytes < 1 {
            throw .invalidConfiguration("spool rowRules.maxRecordBytes must be at least 1, got \(rowRules.maxRecordBytes)")
        }
        if walCheckpointPages < 16 {
            throw .invalidConfiguration("spool walCheckpointPages must be at least 16, got \(walCheckpointPages)")
        }
    }
}
