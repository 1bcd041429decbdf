extension Spool {
    /// The writer's prepared statements, prepared once at open and reused for every batch.
    final class Statements {
        /// Column order shared by every query that decodes records (see `Spool.decodeRow`).
        static let recordColumns = "id, topic, key, value, headers, partition, created_at, attempts, cost, possibly_persisted, value_is_null, value_codec, value_dictionary, value_size"
        /// How many columns `recordColumns` names: a dead letter's reason comes after them.
        static let recordColumnCount: Int32 = 14
        /// `recordColumns` with the escrow table's key in place of the id.
        static let escrowColumns = "intake_id, topic, key, value, headers, partition, created_at, attempts, cost, possibly_persisted, value_is_null, value_codec, value_dictionary, value_size"
        static let readOldestSQL = "SELECT \(recordColumns) FROM records WHERE id > ?1 ORDER BY id LIMIT ?2"
        /// What a row is charged against the byte bound, wherever a writer or the
        /// totals audit reads it: its `cost`, unless that is no cost a record can
        /// have (negative, past 4 GiB, not an integer: a damaged or hand-edited
        /// row), when it is charged what it holds. Sums of it cannot overflow, and
        /// one bad cost cannot make an append evict every record to make room.
        static let chargedCost = """
            (CASE WHEN typeof(cost) = 'integer' AND cost BETWEEN 0 AND \(Int64(1) << 32) THEN cost \
            ELSE length(CAST(topic AS BLOB)) + coalesce(length(key), 0) + length(value) + coalesce(length(headers), 0) + \(Spool.rowOverhead) END)
            """

        let insertReady: SQLiteStatement
        let insertDead: SQLiteStatement
        let selectReadyForEviction: SQLiteStatement
        let selectDeadForEviction: SQLiteStatement
        let deleteReadyUpTo: SQLiteStatement
        let deleteDeadUpTo: SQLiteStatement
        let deleteReadyReturningCost: SQLiteStatement
        let measureReadyRange: SQLiteStatement
        let deleteReadyRange: SQLiteStatement
        let copyToDead: SQLiteStatement
        let readOldest: SQLiteStatement
        let countAttempts: SQLiteStatement
        let markPossiblyPersisted: SQLiteStatement
        let updateTotals: SQLiteStatement
        let insertEscrow: SQLiteStatement
        let deleteEscrowReturningCost: SQLiteStatement
        let copyEscrowToReady: SQLiteStatement
        let copyEscrowToDead: SQLiteStatement
        let insertDictionary: SQLiteStatement

        init(_ connection: SQLiteConnection) throws(SQLiteError) {
            insertReady = try connection.prepare(
                "INSERT INTO records (\(Self.recordColumns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
            )
            insertDead = try connection.prepare(
                "INSERT INTO dead_letters (\(Self.recordColumns), reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
            )
            selectReadyForEviction = try connection.prepare("SELECT id, \(Self.chargedCost) FROM records ORDER BY id")
            selectDeadForEviction = try connection.prepare("SELECT id, \(Self.chargedCost) FROM dead_letters ORDER BY id")
            deleteReadyUpTo = try connection.prepare("DELETE FROM records WHERE id <= ?1")
            deleteDeadUpTo = try connection.prepare("DELETE FROM dead_letters WHERE id <= ?1")
            deleteReadyReturningCost = try connection.prepare("DELETE FROM records WHERE id = ?1 RETURNING \(Self.chargedCost)")
            measureReadyRange = try connection.prepare("SELECT count(*), coalesce(sum(\(Self.chargedCost)), 0) FROM records WHERE id BETWEEN ?1 AND ?2")
            deleteReadyRange = try connection.prepare("DELETE FROM records WHERE id BETWEEN ?1 AND ?2")
            copyToDead = try connection.prepare(
                "INSERT INTO dead_letters (\(Self.recordColumns), reason) SELECT \(Self.recordColumns), ?1 FROM records WHERE id = ?2"
            )
            readOldest = try connection.prepare(Self.readOldestSQL)
            countAttempts = try connection.prepare("UPDATE records SET attempts = attempts + 1 WHERE id BETWEEN ?1 AND ?2")
            markPossiblyPersisted = try connection.prepare("UPDATE records SET possibly_persisted = 1 WHERE id = ?1 AND possibly_persisted = 0")
            updateTotals = try connection.prepare(
                """
                UPDATE spool_totals SET next_id = ?1, ready_count = ?2, ready_bytes = ?3, dead_count = ?4,
                    dead_bytes = ?5, evicted_count = ?6, evicted_bytes = ?7, escrow_count = ?8, escrow_bytes = ?9 WHERE singleton = 1
                """
            )
            // Escrow rows are keyed by the pipeline's intake id (`id` in `recordColumns` binds it).
            insertEscrow = try connection.prepare(
                "INSERT INTO escrow (\(Self.escrowColumns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
            )
            deleteEscrowReturningCost = try connection.prepare("DELETE FROM escrow WHERE intake_id = ?1 RETURNING \(Self.chargedCost)")
            copyEscrowToReady = try connection.prepare(
                """
                INSERT INTO records (\(Self.recordColumns))
                SELECT ?1, topic, key, value, headers, partition, created_at, attempts, cost, max(possibly_persisted, ?2), value_is_null,
                    value_codec, value_dictionary, value_size
                FROM escrow WHERE intake_id = ?3
                """
            )
            copyEscrowToDead = try connection.prepare(
                """
                INSERT INTO dead_letters (\(Self.recordColumns), reason)
                SELECT ?1, topic, key, value, headers, partition, created_at, attempts, cost, max(possibly_persisted, ?2), value_is_null,
                    value_codec, value_dictionary, value_size, ?4
                FROM escrow WHERE intake_id = ?3
                """
            )
            insertDictionary = try connection.prepare("INSERT INTO value_dictionaries (topic, dictionary, created_at) VALUES (?1, ?2, ?3)")
        }
    }
}
