import Logging

/// A bad row never stops the spool: rows that break the rules intake applies
/// (a damaged page, a hand edit) are moved to the dead letters one by one, with
/// a reason naming the column, and everything behind them goes on as usual.
extension Spool {
    /// How many quarantined rows are logged one line each before the rest are
    /// summed up every ten seconds: thousands of damaged rows must not flood the log.
    static let quarantineLinesLogged = 100

    /// At most this many rows are quarantined by one read (the caller goes on from `lastID`).
    static let quarantinedPerRead = 4096

    /// The oldest ready records with ids above `afterID` that may be sent, up to
    /// `limit`, reading on past rows that break the rules (up to
    /// `quarantinedPerRead` of them: a page may then hold fewer records, and
    /// `lastID` says where to go on). A writable spool moves
    /// each such row to the dead letters (reason: `SpoolRowProblem.deadLetterReason`)
    /// in the same call, and logs it with its id.
    public func readForReplay(limit: Int, after afterID: Int64 = 0) throws(SpoolError) -> SpoolReplayPage {
        var page = SpoolReplayPage(records: [], quarantined: [], lastID: nil)
        page.records.reserveCapacity(min(limit, 4096))
        var decoder = SpoolRowDecoder(rules: configuration.rowRules, values: decompressor)
        var cursor = afterID
        do {
            while page.records.count < limit {
                let wanted = limit - page.records.count
                let statement = try statements?.readOldest ?? connection.prepare(Statements.readOldestSQL)
                statement.bind(cursor, at: 1)
                statement.bind(Int64(wanted), at: 2)
                var read = 0
                var bad: [SpoolRowProblem] = []
                do {
                    defer { statement.reset() }
                    while try statement.step() {
                        read += 1
                        let (spooled, problem) = decoder.decode(statement)
                        cursor = spooled.id
                        if let problem { bad.append(problem) } else { page.records.append(spooled) }
                    }
                }
                if read > 0 { page.lastID = cursor }
                if !bad.isEmpty, isReadOnly {
                    page.quarantined += bad
                } else if !bad.isEmpty {
                    do {
                        page.quarantined += try quarantine(bad)
                    } catch {
                        // Not moved (a full file, say): send what lies before the first bad row,
                        // and read on from there next time, when the move may succeed.
                        let first = bad[0].id
                        page.records.removeAll { $0.id > first }
                        page.lastID = first == .min ? nil : first - 1
                        quarantineWarnings.occurred("move") { suppressed in
                            logger.error("could not move a spooled record that cannot be sent to the dead letters; replay waits before it and tries again", metadata: [
                                "spool": "\(configuration.path)", "id": "\(first)", "error": "\(error)", "similar_since_last_line": "\(suppressed)",
                            ])
                        }
                        break
                    }
                }
                // A short read is the end; a full one with no bad row filled the page. A long run
                // of bad rows is moved a bounded number at a time: the spool loop has other work.
                if read < wanted || bad.isEmpty || page.quarantined.count >= Self.quarantinedPerRead { break }
            }
        } catch {
            throw mapError(error)
        }
        return page
    }

    /// Moves each row to the dead letters with its own reason, in one
    /// transaction, and logs it. Rows gone meanwhile are skipped. Returns the rows moved.
    @discardableResult
    private func quarantine(_ problems: [SpoolRowProblem]) throws(SpoolError) -> [SpoolRowProblem] {
        let movedIDs = Set(try moveToDeadLetters(problems.map { ($0.id, $0.deadLetterReason) }))
        let moved = problems.filter { movedIDs.contains($0.id) }
        for problem in moved { logQuarantined(problem) }
        return moved
    }

    private func logQuarantined(_ problem: SpoolRowProblem) {
        quarantinedCount += 1
        let metadata: Logger.Metadata = [
            "spool": "\(configuration.path)", "id": "\(problem.id)", "field": "\(problem.field.rawValue)", "problem": "\(problem.detail)",
        ]
        if quarantinedCount <= Self.quarantineLinesLogged {
            logger.warning("a spooled record cannot be sent as stored; moved it to the dead letters", metadata: metadata)
            return
        }
        let total = quarantinedCount
        quarantineWarnings.occurred("quarantine") { suppressed in
            var metadata = metadata
            metadata["similar_since_last_line"] = "\(suppressed)"
            metadata["quarantined_since_open"] = "\(total)"
            logger.warning("spooled records cannot be sent as stored; moving them to the dead letters (`spillway spool list --dead`)", metadata: metadata)
        }
    }

    /// Every row of `area` that breaks the rules, in id order, ids at or below 0
    /// included; stops after `limit` problems. Read-only: `spool check` runs it
    /// beside a running service.
    package func rowProblems(in area: SpoolQuery.Area, rules: SpoolRowRules, limit: Int = .max) throws(SpoolError) -> [SpoolRowProblem] {
        var decoder = SpoolRowDecoder(rules: rules, values: decompressor)
        var problems: [SpoolRowProblem] = []
        do {
            for table in SpoolQuery(area: area).tables {
                let statement = try connection.prepare("SELECT \(Statements.recordColumns) FROM \(table) ORDER BY id")
                while problems.count < limit, try statement.step() {
                    if let problem = decoder.decode(statement).problem { problems.append(problem) }
                }
            }
        } catch {
            throw mapError(error)
        }
        return problems.sorted { $0.id < $1.id }
    }

    /// Ready records whose id a dead letter also holds (only a hand edit makes
    /// one): opening for writing gives them new ids. Read-only, for `spool check`.
    package func readyIDsSharedWithDeadLetters() throws(SpoolError) -> [Int64] {
        do {
            let statement = try connection.prepare("SELECT id FROM dead_letters AS d WHERE EXISTS (SELECT 1 FROM records AS r WHERE r.id = d.id) ORDER BY id")
            var ids: [Int64] = []
            while try statement.step() { ids.append(statement.int64(0)) }
            return ids
        } catch {
            throw mapError(error)
        }
    }

    /// Moves every ready row that breaks the rules to the dead letters now,
    /// rather than when replay reaches it (`spool check --repair`). Returns them.
    package func quarantineInvalidReadyRows() throws(SpoolError) -> [SpoolRowProblem] {
        let problems = try rowProblems(in: .ready, rules: configuration.rowRules)
        guard !problems.isEmpty else { return [] }
        try quarantine(problems)
        return problems
    }

    /// Gives new ids, after the newest row and in their old order, to rows that
    /// only a hand edit makes: ids at or below 0 (the spool numbers from 1, and
    /// every reader pages upwards from 0, so none would reach them), and ready
    /// records sharing their id with a dead letter (moving one to the dead
    /// letters, as replay does with a refused or quarantined record, would fail
    /// on the duplicate and stall replay). Runs at every open for writing, before
    /// the totals are audited. Returns how many rows moved.
    func renumberStrayRows() throws(SpoolError) -> Int {
        // The usual case costs two lookups at the start of the primary key and a pass over the dead letters.
        let sql = """
            SELECT EXISTS (SELECT 1 FROM records WHERE id <= 0) OR EXISTS (SELECT 1 FROM dead_letters WHERE id <= 0)
                OR EXISTS (SELECT 1 FROM dead_letters AS d WHERE EXISTS (SELECT 1 FROM records AS r WHERE r.id = d.id))
            """
        let any: Int64?
        do { any = try connection.scalarInt(sql) } catch { throw mapError(error) }
        guard any == 1 else { return 0 }
        let renumbered = try writeTransaction { _, totals in
            // Above every id but those at the very end of the range (as the totals audit counts them).
            let below = SpoolTotalsAudit.idsLeavingNoRoom
            // And above `next_id` when it is sane: ids of records already delivered are never reused.
            var next = (try connection.scalarInt(
                "SELECT max(coalesce((SELECT max(id) FROM records WHERE id < \(below)), 0), coalesce((SELECT max(id) FROM dead_letters WHERE id < \(below)), 0))"
            ) ?? 0) + 1
            if (next..<below).contains(totals.nextID) { next = totals.nextID }
            var renumbered = 0
            let strays = [
                ("records", "SELECT id FROM records WHERE id <= 0 OR id IN (SELECT id FROM dead_letters) ORDER BY id"),
                ("dead_letters", "SELECT id FROM dead_letters WHERE id <= 0 ORDER BY id"),
            ]
            for (table, query) in strays {
                let select = try connection.prepare(query)
                var ids: [Int64] = []
                while try select.step() { ids.append(select.int64(0)) }
                let update = try connection.prepare("UPDATE \(table) SET id = ?1 WHERE id = ?2")
                for id in ids where next < SpoolTotalsAudit.idsLeavingNoRoom {
                    update.bind(next, at: 1)
                    update.bind(id, at: 2)
                    try update.step()
                    update.reset()
                    next += 1
                    renumbered += 1
                }
            }
            // The renumbered rows hold ids below `next`: new records get ids after them.
            if renumbered > 0, totals.nextID < next { totals.nextID = next }
            return renumbered
        }
        if renumbered > 0 {
            logger.warning("spool rows had ids at or below 0, or ids shared by a ready record and a dead letter; gave them new ids after the newest row", metadata: [
                "spool": "\(configuration.path)", "rows": "\(renumbered)",
            ])
        }
        return renumbered
    }
}
