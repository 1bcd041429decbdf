extension Spool {
    /// Deletes every record matching `query`, in one transaction. Returns how many
    /// records and bytes went.
    @discardableResult
    public func purge(matching query: SpoolQuery) throws(SpoolError) -> (count: Int, bytes: Int) {
        try writeTransaction { _, totals in
            var count = 0
            var bytes = 0
            for table in query.tables {
                let statement = try connection.prepare("DELETE FROM \(table) WHERE \(SpoolQuery.filterSQL) RETURNING cost")
                query.bindFilter(statement)
                var tableCount = 0
                var tableBytes = 0
                while try statement.step() {
                    tableCount += 1
                    tableBytes += Int(statement.int64(0))
                }
                if table == "records" {
                    totals.readyCount -= tableCount
                    totals.readyBytes -= tableBytes
                } else {
                    totals.deadCount -= tableCount
                    totals.deadBytes -= tableBytes
                }
                count += tableCount
                bytes += tableBytes
            }
            return (count, bytes)
        }
    }

    /// Appends exported records, keeping their ids, creation times, attempt counts
    /// and dead-letter reasons where the id order allows it.
    @discardableResult
    public func importRecords(_ records: [SpooledRecord]) throws(SpoolError) -> SpoolAppendResult {
        var result = SpoolAppendResult(ids: nil, evictedCount: 0, evictedBytes: 0)
        var start = records.startIndex
        while start < records.endIndex {
            // One append per run of records bound for the same area.
            let reason = records[start].deadLetterReason
            var end = start + 1
            while end < records.endIndex, records[end].deadLetterReason == reason { end += 1 }
            let run = records[start..<end]
            let part = try append(
                run.map(\.record),
                as: reason.map { .deadLetter(reason: $0) } ?? .ready,
                preferredIDs: run.map(\.id)
            )
            if let ids = part.ids {
                result.ids = (result.ids?.lowerBound ?? ids.lowerBound)...ids.upperBound
            }
            result.evictedCount += part.evictedCount
            result.evictedBytes += part.evictedBytes
            start = end
        }
        return result
    }
}
