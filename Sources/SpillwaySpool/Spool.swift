import CSQLite
import Logging

/// The disk side of the bulkhead: one SQLite file holding records Kafka could not
/// take yet, bounded in bytes and records, oldest evicted first.
///
/// One owner: a `Spool` owns its SQLite connection and is used from one thread
/// at a time, so it is not `Sendable`. Every mutating call is one transaction,
/// run by `writeTransaction` (which also keeps `spool_totals` and `totals`).
public final class Spool {
    public let configuration: SpoolConfiguration
    /// Counts and sizes, read without touching the disk.
    public internal(set) var totals: SpoolTotals
    /// Where a corrupt file found at open was moved, if one was.
    public let quarantinedPath: String?
    /// What opening for writing found wrong in `spool_totals` and rebuilt from the
    /// rows (and logged); empty when the totals agreed with them.
    package internal(set) var totalsRepairedAtOpen: [SpoolTotalsProblem] = []
    /// How many rows with ids at or below 0 opening for writing gave new ids.
    package internal(set) var rowsRenumberedAtOpen = 0
    /// Rows this handle moved to the dead letters because they break the rules.
    public internal(set) var quarantinedCount = 0
    var quarantineWarnings = RepeatedLog()
    /// `true` for inspection handles, which never write.
    public let isReadOnly: Bool

    let connection: SQLiteConnection
    let logger: Logger
    private var lock: SpoolLock?
    let pageSize: Int
    private let maxPageCount: Int
    private(set) var statements: Statements?
    private var walWarnings = RepeatedLog()
    /// When the write-ahead log's size was last looked at: at most every 10 ms, so
    /// one-record transactions do not pay a `stat` each (the log grows by at most
    /// a few MiB in that time, well inside `walBound`'s slack).
    private var walCheckedAt: ContinuousClock.Instant?
    /// Compresses values appended as ready records or dead letters; made at the
    /// first append when `configuration.compression` is `zstd`.
    var compressor: SpoolValueCompressor?
    /// Gives back compressed values for every read of this handle.
    private(set) lazy var decompressor = SpoolValueDecompressor { [connection] id in
        let statement = try connection.prepare("SELECT dictionary FROM value_dictionaries WHERE id = ?1")
        statement.bind(id, at: 1)
        return try statement.step() ? statement.bytes(0) ?? [] : nil
    }

    /// Bytes per record charged on top of its payload, for SQLite's row and page overhead.
    public static let rowOverhead = 40

    /// The bytes of record cost the spool keeps, below `maxBytes` by a reserve for
    /// the schema and B-tree slack. The file itself is capped at `maxBytes` by
    /// SQLite's `max_page_count`; when records pack into pages worse than the
    /// reserve allows, hitting that cap lowers this budget so later batches make
    /// room before writing instead of failing and retrying.
    public private(set) var recordByteBudget: Int

    init(
        configuration: SpoolConfiguration,
        connection: SQLiteConnection,
        lock: SpoolLock?,
        quarantinedPath: String?,
        logger: Logger
    ) throws {
        self.configuration = configuration
        self.connection = connection
        self.lock = lock
        self.quarantinedPath = quarantinedPath
        self.logger = logger
        self.isReadOnly = lock == nil
        self.pageSize = Int(try connection.scalarInt("PRAGMA page_size") ?? 4096)
        self.maxPageCount = configuration.maxBytes / pageSize
        self.recordByteBudget = configuration.maxBytes - configuration.maxBytes / 8 - 16 * pageSize
        self.totals = try Self.readTotals(connection)
        if !isReadOnly {
            try connection.execute("PRAGMA max_page_count = \(maxPageCount)")
            statements = try Statements(connection)
        }
    }

    /// Releases the writer lock after a final checkpoint. Later calls throw.
    public func close() {
        if lock != nil {
            statements = nil
            try? connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        lock?.release()
        lock = nil
    }

    deinit { close() }

    /// What SQLite's page cache holds for the spool, in bytes (at most about 2 MB).
    package var cachedBytes: Int { connection.cacheBytes }

    /// Gives back the page cache (up to about 2 MB) once a backlog is gone: an
    /// idle spool would otherwise keep its last pages cached for good. The next
    /// spill reads the pages it needs again, from the OS's cache.
    package func releaseCachedPages() {
        connection.releaseCache()
    }

    /// The cost charged for `record` against the byte bound, stored as sent.
    public static func cost(of record: Record) -> Int {
        record.payloadSize + 2 * record.headers.count + rowOverhead
    }

    /// The cost charged for `record` with its value stored as `value`: the bytes on disk.
    static func cost(of record: Record, storing value: SpoolStoredValue) -> Int {
        cost(of: record) - (record.value?.count ?? 0) + value.bytes.count
    }

    // MARK: Appending

    /// Appends a batch in one transaction. Makes room by evicting the oldest
    /// ready records first (then the oldest dead letters, then the batch's own
    /// oldest), and reports exactly how many went.
    @discardableResult
    public func append(_ records: [Record], as kind: SpoolKind = .ready) throws(SpoolError) -> SpoolAppendResult {
        try append(records, as: kind, preferredIDs: nil)
    }

    /// Appends, keeping each record's preferred id where it is above every id
    /// used so far (so imports round-trip), and a fresh id otherwise.
    package func append(_ records: [Record], as kind: SpoolKind, preferredIDs: [Int64]?) throws(SpoolError) -> SpoolAppendResult {
        switch kind {
        case .ready: try append(records, to: .ready, preferredIDs: preferredIDs)
        case .deadLetter(let reason): try append(records, to: .deadLetters(reason: reason), preferredIDs: preferredIDs)
        }
    }

    /// Which table a batch goes to.
    enum Destination {
        case ready
        case deadLetters(reason: String)
        /// Escrow copies, keyed by the pipeline's intake ids (one per record).
        case escrow(keys: [Int64])
    }

    func append(_ records: [Record], to destination: Destination, preferredIDs: [Int64]?) throws(SpoolError) -> SpoolAppendResult {
        let statements = try writable()
        guard !records.isEmpty else { return SpoolAppendResult(ids: nil, evictedCount: 0, evictedBytes: 0) }
        // Compressed before the transaction, so the write lock is held for writing only.
        let values = storedValues(of: records, for: destination, statements: statements)
        var costs: [Int] = []
        costs.reserveCapacity(records.count)
        for index in records.indices { costs.append(Self.cost(of: records[index], storing: values[index])) }
        let batchBytes = costs.reduce(0, +)
        while true {
            do {
                return try inWriteTransaction(statements) { statements, totals in
                    try appendInTransaction(
                        records, values: values, costs: costs, destination: destination, preferredIDs: preferredIDs, statements: statements, totals: &totals
                    )
                }
            } catch let error as SQLiteError where error.isFull {
                // Our own page cap, with room left to learn from: shrink the budget and retry.
                let step = max(pageSize, min(batchBytes, configuration.maxBytes / 32))
                guard isAtPageCap(needing: batchBytes), recordByteBudget > step else {
                    throw .diskFull(path: configuration.path)
                }
                recordByteBudget = min(recordByteBudget, totals.heldBytes.addingSaturated(batchBytes)).subtractingSaturated(step)
                logger.debug("spool reached its file bound before its byte budget; budget lowered", metadata: ["budget": "\(recordByteBudget)"])
            } catch {
                throw mapError(error)
            }
        }
    }

    private func appendInTransaction(
        _ records: [Record],
        values: [SpoolStoredValue],
        costs: [Int],
        destination: Destination,
        preferredIDs: [Int64]?,
        statements: Statements,
        totals: inout SpoolTotals
    ) throws -> SpoolAppendResult {
        let byteBudget = recordByteBudget
        // Arithmetic on figures from the file saturates (`Int+Saturating`) rather than
        // trapping, whatever the file holds; the open checked them against the rows.
        let bytesBesideEscrow = byteBudget.subtractingSaturated(totals.escrowBytes)
        let countBesideEscrow = configuration.maxRecords.subtractingSaturated(totals.escrowCount)
        // The newest records of the batch that fit within the bounds on their own,
        // beside the escrow copies (which are never evicted).
        var keptFrom = records.count
        var keptBytes = 0
        while keptFrom > 0,
              keptBytes + costs[keptFrom - 1] <= bytesBesideEscrow,
              records.count - keptFrom < countBesideEscrow {
            keptFrom -= 1
            keptBytes += costs[keptFrom]
        }
        var evictedCount = keptFrom
        var evictedBytes = costs[..<keptFrom].reduce(0, +)
        let keptCount = records.count - keptFrom

        // Escrow copies are held to the bounds too, but never evicted: each is a caller's promise.
        let excessBytes = totals.heldBytes.addingSaturated(keptBytes).subtractingSaturated(byteBudget)
        let excessCount = totals.heldCount.addingSaturated(keptCount).subtractingSaturated(configuration.maxRecords)
        if excessBytes > 0 || excessCount > 0 {
            let fromReady = try evictOldest(statements.selectReadyForEviction, statements.deleteReadyUpTo, bytes: excessBytes, count: excessCount)
            totals.readyCount.subtractSaturated(fromReady.count)
            totals.readyBytes.subtractSaturated(fromReady.bytes)
            let fromDead = try evictOldest(
                statements.selectDeadForEviction, statements.deleteDeadUpTo,
                bytes: excessBytes.subtractingSaturated(fromReady.bytes), count: excessCount.subtractingSaturated(fromReady.count)
            )
            totals.deadCount.subtractSaturated(fromDead.count)
            totals.deadBytes.subtractSaturated(fromDead.bytes)
            evictedCount += fromReady.count + fromDead.count
            evictedBytes.addSaturated(fromReady.bytes.addingSaturated(fromDead.bytes))
        }

        var firstID: Int64?
        for index in keptFrom..<records.count {
            switch destination {
            case .ready, .deadLetters:
                // A preferred id at the very end of the range would leave none after it: not kept.
                let preferred = preferredIDs?[index] ?? 0
                let id = max(preferred < SpoolTotalsAudit.idsLeavingNoRoom ? preferred : 0, totals.nextID)
                guard id < .max else { throw SpoolError.idsExhausted(path: configuration.path) }
                firstID = firstID ?? id
                totals.nextID = id + 1
                if case .deadLetters(let reason) = destination {
                    try insert(records[index], value: values[index], id: id, cost: costs[index], reason: reason, using: statements.insertDead)
                } else {
                    try insert(records[index], value: values[index], id: id, cost: costs[index], reason: nil, using: statements.insertReady)
                }
            case .escrow(let keys):
                try insert(records[index], value: values[index], id: keys[index], cost: costs[index], reason: nil, using: statements.insertEscrow)
            }
        }
        switch destination {
        case .ready:
            totals.readyCount.addSaturated(keptCount)
            totals.readyBytes.addSaturated(keptBytes)
        case .deadLetters:
            totals.deadCount.addSaturated(keptCount)
            totals.deadBytes.addSaturated(keptBytes)
        case .escrow:
            totals.escrowCount.addSaturated(keptCount)
            totals.escrowBytes.addSaturated(keptBytes)
        }
        totals.evictedCount.addSaturated(evictedCount)
        totals.evictedBytes.addSaturated(evictedBytes)
        if evictedCount > 0 {
            logger.debug("spool evicted oldest records to stay within bounds", metadata: ["evicted": "\(evictedCount)", "bytes": "\(evictedBytes)"])
        }
        if case .escrow = destination, keptCount > 0 {
            // Escrow copies get no spool ids: the range says how many were kept (the batch's newest).
            return SpoolAppendResult(ids: 1...Int64(keptCount), evictedCount: evictedCount, evictedBytes: evictedBytes)
        }
        return SpoolAppendResult(
            ids: firstID.map { $0...(totals.nextID - 1) },
            evictedCount: evictedCount,
            evictedBytes: evictedBytes
        )
    }

    /// Deletes the oldest rows of one table until `bytes` and `count` are both covered.
    private func evictOldest(_ select: SQLiteStatement, _ delete: SQLiteStatement, bytes: Int, count: Int) throws -> (count: Int, bytes: Int) {
        guard bytes > 0 || count > 0 else { return (0, 0) }
        var evictedCount = 0
        var evictedBytes = 0
        var lastID: Int64?
        defer { select.reset() }
        while evictedCount < count || evictedBytes < bytes, try select.step() {
            lastID = select.int64(0)
            evictedBytes.addSaturated(Int(select.int64(1)))
            evictedCount += 1
        }
        select.reset()
        if let lastID {
            delete.bind(lastID, at: 1)
            defer { delete.reset() }
            try delete.step()
        }
        return (evictedCount, evictedBytes)
    }

    private func insert(_ record: Record, value stored: SpoolStoredValue, id: Int64, cost: Int, reason: String?, using statement: SQLiteStatement) throws {
        defer { statement.reset() }
        let headers = RecordHeaderCodec.encode(record.headers)
        statement.bind(id, at: 1)
        statement.bind(record.topic, at: 2)
        statement.bind(record.partition.map(Int64.init), at: 6)
        statement.bind(record.timestamp, at: 7)
        statement.bind(Int64(record.attempts), at: 8)
        statement.bind(Int64(cost), at: 9)
        statement.bind(Int64(record.possiblyPersisted ? 1 : 0), at: 10)
        // A NULL value is an empty blob marked `value_is_null` (the column is NOT NULL: migration 5).
        statement.bind(Int64(record.value == nil ? 1 : 0), at: 11)
        statement.bind(stored.codec.rawValue, at: 12)
        statement.bind(stored.dictionaryID, at: 13)
        statement.bind(stored.originalSize.map(Int64.init), at: 14)
        if let reason { statement.bind(reason, at: 15) }
        try stored.bytes.withUnsafeBytes { value in
            statement.bindStaticBlob(value, at: 4)
            try withOptionalBytes(record.key) { key in
                if let key { statement.bindStaticBlob(key, at: 3) } else { statement.bindNull(at: 3) }
                try withOptionalBytes(headers) { headers in
                    if let headers { statement.bindStaticBlob(headers, at: 5) } else { statement.bindNull(at: 5) }
                    try statement.step()
                }
            }
        }
    }

    // MARK: Reading and deleting

    /// The oldest ready records with ids above `afterID` that may be sent, in id
    /// order (`readForReplay`, without the rows it quarantined).
    public func readOldest(limit: Int, after afterID: Int64 = 0) throws(SpoolError) -> [SpooledRecord] {
        try readForReplay(limit: limit, after: afterID).records
    }

    /// Deletes ready records by id (after Kafka acknowledged them), in one
    /// transaction. Ids no longer present (evicted meanwhile) are skipped.
    /// Returns how many were deleted. Runs of consecutive ids, the usual shape of
    /// an acknowledged replay batch, are deleted as ranges.
    @discardableResult
    public func delete(ids: some Collection<Int64>) throws(SpoolError) -> Int {
        guard !ids.isEmpty else { _ = try writable(); return 0 }
        let sorted = ids.sorted()
        return try writeTransaction { statements, totals in
            var deleted = 0
            var bytes = 0
            var start = sorted.startIndex
            while start < sorted.endIndex {
                var end = start + 1
                while end < sorted.endIndex, sorted[end - 1] < .max, sorted[end] == sorted[end - 1] + 1 { end += 1 }
                let range = try deleteRange(sorted[start]...sorted[end - 1], statements: statements)
                deleted += range.count
                bytes.addSaturated(range.bytes)
                start = end
            }
            totals.readyCount.subtractSaturated(deleted)
            totals.readyBytes.subtractSaturated(bytes)
            return deleted
        }
    }

    private func deleteRange(_ ids: ClosedRange<Int64>, statements: Statements) throws -> (count: Int, bytes: Int) {
        let measure = statements.measureReadyRange
        measure.bind(ids.lowerBound, at: 1)
        measure.bind(ids.upperBound, at: 2)
        defer { measure.reset() }
        try measure.step()
        let count = Int(measure.int64(0))
        guard count > 0 else { return (0, 0) }
        let bytes = Int(measure.int64(1))
        let delete = statements.deleteReadyRange
        delete.bind(ids.lowerBound, at: 1)
        delete.bind(ids.upperBound, at: 2)
        defer { delete.reset() }
        try delete.step()
        return (count, bytes)
    }

    /// Marks ready records as possibly persisted (a replay of them was on the wire
    /// when it failed). Returns how many were not marked before.
    @discardableResult
    public func markPossiblyPersisted(ids: some Collection<Int64>) throws(SpoolError) -> Int {
        guard !ids.isEmpty else { _ = try writable(); return 0 }
        return try writeTransaction { statements, _ in
            var marked = 0
            for id in ids {
                statements.markPossiblyPersisted.bind(id, at: 1)
                defer { statements.markPossiblyPersisted.reset() }
                try statements.markPossiblyPersisted.step()
                marked += connection.changes
            }
            return marked
        }
    }

    /// Counts a failed delivery attempt for each ready record in `ids` (replay sent
    /// them and Kafka did not take them), so `spool list` shows which records keep
    /// failing. One transaction; runs of consecutive ids are updated as ranges.
    public func countFailedAttempts(ids: some Collection<Int64>) throws(SpoolError) {
        guard !ids.isEmpty else { _ = try writable(); return }
        let sorted = ids.sorted()
        try writeTransaction { statements, _ in
            var start = sorted.startIndex
            while start < sorted.endIndex {
                var end = start + 1
                while end < sorted.endIndex, sorted[end - 1] < .max, sorted[end] <= sorted[end - 1] + 1 { end += 1 }
                statements.countAttempts.bind(sorted[start], at: 1)
                statements.countAttempts.bind(sorted[end - 1], at: 2)
                defer { statements.countAttempts.reset() }
                try statements.countAttempts.step()
                start = end
            }
        }
    }

    /// Moves ready records to the dead-letter area (Kafka refused them for a
    /// reason about the record), in one transaction. Returns how many moved.
    @discardableResult
    public func moveToDeadLetters(ids: some Collection<Int64>, reason: String) throws(SpoolError) -> Int {
        guard !ids.isEmpty else { _ = try writable(); return 0 }
        return try moveToDeadLetters(ids.map { ($0, reason) }).count
    }

    /// Moves ready records to the dead letters, each with its own reason, in one
    /// transaction; ids no longer present are skipped. Returns the ids moved.
    func moveToDeadLetters(_ rows: [(id: Int64, reason: String)]) throws(SpoolError) -> [Int64] {
        try writeTransaction { statements, totals in
            var moved: [Int64] = []
            for (id, reason) in rows {
                statements.copyToDead.bind(reason, at: 1)
                statements.copyToDead.bind(id, at: 2)
                try statements.copyToDead.step()
                statements.copyToDead.reset()
                guard connection.changes == 1 else { continue }
                statements.deleteReadyReturningCost.bind(id, at: 1)
                defer { statements.deleteReadyReturningCost.reset() }
                if try statements.deleteReadyReturningCost.step() {
                    let cost = Int(statements.deleteReadyReturningCost.int64(0))
                    moved.append(id)
                    totals.readyBytes.subtractSaturated(cost)
                    totals.deadBytes.addSaturated(cost)
                }
            }
            totals.readyCount.subtractSaturated(moved.count)
            totals.deadCount.addSaturated(moved.count)
            return moved
        }
    }

    // MARK: Helpers

    /// The writer's statements, for a write about to start; first keeps the
    /// write-ahead log within `walBound`.
    func writable() throws(SpoolError) -> Statements {
        guard let statements else {
            throw .io(path: configuration.path, detail: isReadOnly ? "the spool was opened read-only" : "the spool is closed")
        }
        boundWriteAheadLog()
        return statements
    }

    /// How large the write-ahead log may grow: SQLite resets it after each
    /// checkpoint, but only when no reader still uses it, so a steady stream of
    /// readers (inspection beside a running service, a monitor polling
    /// `GET /v1/spool`) would let it grow without bound.
    var walBound: Int { max(16 << 20, 4 * configuration.walCheckpointPages * pageSize) }

    /// Past `walBound`, waits up to a second for readers to let go and resets
    /// the log: the disk bound holds whoever reads the spool.
    private func boundWriteAheadLog() {
        let now = ContinuousClock.now
        if let walCheckedAt, now - walCheckedAt < .milliseconds(10) { return }
        walCheckedAt = now
        guard Self.fileSize(configuration.path + "-wal") > walBound else { return }
        _ = try? connection.execute("PRAGMA busy_timeout = 1000")
        // The first column is 1 when readers kept it from completing.
        let busy = (try? connection.scalarInt("PRAGMA wal_checkpoint(TRUNCATE)")) ?? 1
        _ = try? connection.execute("PRAGMA busy_timeout = 5000")
        if busy != 0 {
            walWarnings.occurred("wal") { suppressed in
                logger.warning("readers keep the spool's write-ahead log from being reset; retrying before each write", metadata: [
                    "spool": "\(configuration.path)", "wal_bytes": "\(Self.fileSize(configuration.path + "-wal"))", "similar_since_last_line": "\(suppressed)",
                ])
            }
        }
    }

    /// `true` when a full error came from our own page cap rather than the disk.
    private func isAtPageCap(needing bytes: Int) -> Bool {
        guard let pages = try? connection.scalarInt("PRAGMA page_count") else { return false }
        let freePages = (try? connection.scalarInt("PRAGMA freelist_count")) ?? 0
        let neededPages = bytes / pageSize + 8
        return Int(pages - freePages) + neededPages >= maxPageCount
    }

    func mapError(_ error: any Error) -> SpoolError {
        if let error = error as? SpoolError { return error }
        if let error = error as? SQLiteError {
            if error.isFull { return .diskFull(path: configuration.path) }
            if error.isCorruption { return .corrupt(path: configuration.path, detail: error.message) }
            return .io(path: configuration.path, detail: error.description)
        }
        if error is RecordHeaderCodec.DecodingError {
            return .corrupt(path: configuration.path, detail: "\(error)")
        }
        return .io(path: configuration.path, detail: "\(error)")
    }
}

/// Calls `body` with the bytes of `array`, or `nil`, without copying.
@inline(__always)
package func withOptionalBytes<R>(_ array: [UInt8]?, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
    guard let array else { return try body(nil) }
    return try array.withUnsafeBytes { try body($0) }
}
