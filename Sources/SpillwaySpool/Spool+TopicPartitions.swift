/// Partition counts of the upstream cluster, kept beside the records so the Kafka
/// listener knows them after a restart while Kafka is away. A few rows, written
/// only when a count is new or changed.
extension Spool {
    /// Every remembered count (rows a careless edit left unusable are skipped).
    public func topicPartitions() throws(SpoolError) -> [String: Int32] {
        do {
            let statement = try connection.prepare("SELECT topic, partitions FROM topic_partitions")
            var counts: [String: Int32] = [:]
            while try statement.step() {
                let count = statement.int64(1)
                guard count > 0, count <= Int64(Int32.max) else { continue }
                counts[statement.text(0)] = Int32(count)
            }
            return counts
        } catch {
            throw mapError(error)
        }
    }

    /// Remembers `counts`, as the cluster gave them at `now` (milliseconds since 1970), in one transaction.
    public func rememberTopicPartitions(_ counts: [String: Int32], now: Int64) throws(SpoolError) {
        guard !counts.isEmpty else { return }
        try writeTransaction { _, _ in
            let statement = try connection.prepare(
                "INSERT INTO topic_partitions (topic, partitions, updated_at) VALUES (?1, ?2, ?3) "
                    + "ON CONFLICT (topic) DO UPDATE SET partitions = excluded.partitions, updated_at = excluded.updated_at"
            )
            for (topic, count) in counts.sorted(by: { $0.key < $1.key }) where count > 0 {
                defer { statement.reset() }
                statement.bind(topic, at: 1)
                statement.bind(Int64(count), at: 2)
                statement.bind(now, at: 3)
                _ = try statement.step()
            }
        }
    }
}
