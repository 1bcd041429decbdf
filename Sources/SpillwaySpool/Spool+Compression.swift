/// Values on their way into the spool (`spool.compression`, issue 20): how each
/// is stored, and the dictionaries written for the compressor. Done before the
/// append's transaction, so the write lock is held for writing only.
extension Spool {
    /// How each value of a batch is stored. Escrow copies are stored as sent: they
    /// live for one round trip to Kafka, on the acknowledgement path.
    func storedValues(of records: [Record], for destination: Destination, statements: Statements) -> [SpoolStoredValue] {
        guard configuration.compression == .zstd, !isEscrow(destination) else { return records.map { .uncompressed($0.value) } }
        let compressor = self.compressor ?? makeCompressor()
        return records.map { record in
            compressor.store(record.value, topic: record.topic) { topic, dictionary in
                try storeDictionary(dictionary, topic: topic, statements: statements)
            }
        }
    }

    private func isEscrow(_ destination: Destination) -> Bool {
        if case .escrow = destination { return true }
        return false
    }

    private func makeCompressor() -> SpoolValueCompressor {
        var existing: [(id: Int64, topic: String, dictionary: [UInt8])] = []
        if let statement = try? connection.prepare("SELECT id, topic, dictionary FROM value_dictionaries ORDER BY id") {
            while (try? statement.step()) == true {
                existing.removeAll { $0.topic == statement.text(1) }
                existing.append((statement.int64(0), statement.text(1), statement.bytes(2) ?? []))
            }
        }
        // Dictionaries are outside the record bounds: they may take 1/64 of the file.
        let made = SpoolValueCompressor(existing: existing, dictionaryBudget: configuration.maxBytes / 64)
        compressor = made
        return made
    }

    /// Writes a newly trained dictionary in its own transaction; its id goes into every row compressed with it.
    private func storeDictionary(_ dictionary: [UInt8], topic: String, statements: Statements) throws -> Int64 {
        let insert = statements.insertDictionary
        defer { insert.reset() }
        insert.bind(topic, at: 1)
        insert.bind(dictionary, at: 2)
        insert.bind(Self.nowMilliseconds(), at: 3)
        try insert.step()
        logger.debug("spool trained a compression dictionary", metadata: ["topic": "\(topic)", "bytes": "\(dictionary.count)"])
        return connection.lastInsertRowID
    }
}
