import Foundation

extension Spool {
    /// Counts, sizes, ages and per-topic figures. Scans the tables: for operators, not hot paths.
    public func statistics() throws(SpoolError) -> SpoolStatistics {
        do {
            var topics: [String: SpoolStatistics.Topic] = [:]
            var storedValueBytes = 0
            var originalValueBytes = 0
            for (table, isDead) in [("records", false), ("dead_letters", true)] {
                // total(), not sum(): a float never fails with "integer overflow" on costs a
                // damaged row holds, and reading it as an integer clamps to Int64's range.
                let statement = try connection.prepare(
                    "SELECT topic, count(*), total(cost), total(length(value)), "
                        + "total(CASE WHEN value_codec = 1 THEN value_size ELSE length(value) END) FROM \(table) GROUP BY topic"
                )
                while try statement.step() {
                    storedValueBytes.addSaturated(Int(statement.int64(3)))
                    originalValueBytes.addSaturated(Int(statement.int64(4)))
                    let topic = statement.text(0)
                    var entry = topics[topic] ?? .init(topic: topic, readyCount: 0, readyBytes: 0, deadCount: 0, deadBytes: 0)
                    if isDead {
                        entry.deadCount = Int(statement.int64(1))
                        entry.deadBytes = Int(statement.int64(2))
                    } else {
                        entry.readyCount = Int(statement.int64(1))
                        entry.readyBytes = Int(statement.int64(2))
                    }
                    topics[topic] = entry
                }
            }
            let range = try connection.prepare(
                "SELECT min(t), max(t) FROM (SELECT min(created_at) AS t FROM records UNION ALL SELECT max(created_at) FROM records UNION ALL SELECT min(created_at) FROM dead_letters UNION ALL SELECT max(created_at) FROM dead_letters)"
            )
            try range.step()
            let totals = try Self.readTotals(connection)
            return SpoolStatistics(
                path: configuration.path,
                schemaVersion: try SpoolMigrator.appliedVersion(connection),
                readyCount: totals.readyCount,
                readyBytes: totals.readyBytes,
                deadCount: totals.deadCount,
                deadBytes: totals.deadBytes,
                evictedCount: totals.evictedCount,
                evictedBytes: totals.evictedBytes,
                escrowCount: totals.escrowCount,
                escrowBytes: totals.escrowBytes,
                oldestTimestamp: range.optionalInt64(0),
                newestTimestamp: range.optionalInt64(1),
                storedValueBytes: storedValueBytes,
                originalValueBytes: originalValueBytes,
                fileBytes: Self.fileSize(configuration.path),
                walBytes: Self.fileSize(configuration.path + "-wal"),
                pageSize: pageSize,
                topics: topics.values.sorted { $0.topic < $1.topic }
            )
        } catch {
            throw mapError(error)
        }
    }

    /// Records matching `query` with ids above `afterID`, in id order, at most `limit`.
    /// Page through a large spool by passing the last id seen. A row that breaks
    /// the rules is listed too, as far as it can be read, with its `problem`.
    public func records(matching query: SpoolQuery, after afterID: Int64 = .min, limit: Int) throws(SpoolError) -> [SpooledRecord] {
        let columns = Statements.recordColumns
        let sql: String
        switch query.area {
        case .ready:
            sql = "SELECT \(columns), NULL FROM records WHERE id > :after AND \(SpoolQuery.filterSQL) ORDER BY id LIMIT :limit"
        case .deadLetters:
            sql = "SELECT \(columns), reason FROM dead_letters WHERE id > :after AND \(SpoolQuery.filterSQL) ORDER BY id LIMIT :limit"
        case .all:
            sql = """
                SELECT * FROM (
                    SELECT \(columns), NULL AS reason FROM records WHERE id > :after AND \(SpoolQuery.filterSQL)
                    UNION ALL
                    SELECT \(columns), reason FROM dead_letters WHERE id > :after AND \(SpoolQuery.filterSQL)
                ) ORDER BY id LIMIT :limit
                """
        }
        do {
            let statement = try connection.prepare(sql)
            statement.bind(afterID, at: statement.parameterIndex(":after"))
            statement.bind(Int64(limit), at: statement.parameterIndex(":limit"))
            query.bindFilter(statement)
            return try readListed(statement)
        } catch {
            throw mapError(error)
        }
    }

    /// How many records match `query`.
    public func count(matching query: SpoolQuery) throws(SpoolError) -> Int {
        var total = 0
        do {
            for table in query.tables {
                let statement = try connection.prepare("SELECT count(*) FROM \(table) WHERE \(SpoolQuery.filterSQL)")
                query.bindFilter(statement)
                try statement.step()
                total += Int(statement.int64(0))
            }
        } catch {
            throw mapError(error)
        }
        return total
    }

    /// One record by id, ready or dead letter.
    /// Looked up by equality, not as the page after `id - 1`: that traps on
    /// Int64.min, an id a damaged row may hold.
    public func record(id: Int64) throws(SpoolError) -> SpooledRecord? {
        let columns = Statements.recordColumns
        do {
            let statement = try connection.prepare(
                "SELECT \(columns), NULL FROM records WHERE id = :id UNION ALL SELECT \(columns), reason FROM dead_letters WHERE id = :id LIMIT 1"
            )
            statement.bind(id, at: statement.parameterIndex(":id"))
            return try readListed(statement).first
        } catch {
            throw mapError(error)
        }
    }

    /// Decodes rows of `recordColumns` followed by a dead letter's reason (NULL for a ready record).
    /// Rows are checked by the rules of `configuration.rowRules`.
    private func readListed(_ statement: SQLiteStatement) throws -> [SpooledRecord] {
        var decoder = SpoolRowDecoder(rules: configuration.rowRules, values: decompressor)
        var records: [SpooledRecord] = []
        while try statement.step() {
            var (record, problem) = decoder.decode(statement)
            record.problem = problem
            let reason = Statements.recordColumnCount
            if !statement.isNull(reason) { record.deadLetterReason = statement.text(reason) }
            records.append(record)
        }
        return records
    }

    /// A file's size, or 0 when there is none. One `stat` call: the spool asks
    /// before every write transaction (the write-ahead log's bound), and
    /// Foundation's `attributesOfItem` also looks up the owner's and group's
    /// names, which halved the throughput of one-record transactions.
    static func fileSize(_ path: String) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return Int(info.st_size)
    }
}

extension SpoolQuery {
    var tables: [String] {
        switch area {
        case .ready: ["records"]
        case .deadLetters: ["dead_letters"]
        case .all: ["records", "dead_letters"]
        }
    }
}
