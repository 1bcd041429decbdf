extension Spool {
    /// Deletes every record matching `query`, in one transaction. Returns how many
    /// records and bytes went.
    @discardableResult
    public func purge(matching query: SpoolQuery) throws(SpoolError) -> (count: Int, bytes: Int) {
        try writeTransaction { _, totals in
            var count = 0
            var bytes = 0
            for table in query.tables {
                let statement = try connection.prepare("DELETE FROM \(table) WHERE \(SpoolQuery.filterSQL) RETURNING \(Statements.chargedCost)")
                query.bindFilter(statement)
                var tableCount = 0
                var tableBytes = 0
                while try statement.step() {
                    tableCount += 1
                    // Saturated (`Int+Saturating`), as every sum a writer keeps of figures from the file.
                    tableBytes.addSaturated(Int(statement.int64(0)))
                }
                if table == "records" {
                    totals.readyCount.subtractSaturated(tableCount)
                    totals.readyBytes.subtractSaturated(tableBytes)
                } else {
                    totals.deadCount.subtractSaturated(tableCount)
                    totals.deadBytes.subtractSaturated(tableBytes)
                }
                count += tableCount
                bytes.addSaturated(tableBytes)
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
            result.evictedBytes.addSaturated(part.evictedBytes)
            start = end
        }
        return result
    }
}
