import CSQLite

/// Reads a row in the column order of `Spool.Statements.recordColumns` and
/// checks it by the rules intake applies. Never throws and never traps on what
/// a row holds: SQLite keeps any value in any column of these tables (they are
/// not STRICT), so a damaged or hand-edited row can hold text where an integer
/// belongs, bytes that are not UTF-8, or integers at Int64's ends.
///
/// A row that breaks a rule comes back with the first problem found and the
/// record as far as it could be read (a damaged field empty), for listing; it
/// is never sent. Cheap enough for the replay path: a storage-class check per
/// column and one pass over the topic's bytes.
struct SpoolRowDecoder {
    let rules: SpoolRowRules
    /// Gives back values stored compressed (`value_codec` 1).
    let values: SpoolValueDecompressor
    /// The last valid topic read, as stored and as text: rows of a page mostly
    /// share a few topics, so most rows cost a byte comparison, not a new
    /// string and a check of every byte.
    private var lastTopic: (bytes: [UInt8], text: String)?

    init(rules: SpoolRowRules, values: SpoolValueDecompressor) {
        self.rules = rules
        self.values = values
    }

    /// The row, and what is wrong with it (`nil` when it may be sent).
    mutating func decode(_ row: SQLiteStatement) -> (record: SpooledRecord, problem: SpoolRowProblem?) {
        let id = row.int64(0)
        var problem: SpoolRowProblem?
        func fail(_ field: SpoolRowProblem.Field, _ detail: @autoclosure () -> String) {
            if problem == nil { problem = SpoolRowProblem(id: id, field: field, detail: detail()) }
        }
        if id <= 0 {
            fail(.id, "is \(id); ids start at 1 (opening the spool for writing renumbers the row after the newest one)")
        }
        let topic = readTopic(row, fail)
        let key: [UInt8]?
        switch row.storageClass(2) {
        case SQLITE_NULL: key = nil
        case SQLITE_BLOB, SQLITE_TEXT: key = row.bytes(2)
        default:
            key = nil
            fail(.key, "is stored as \(Self.describe(row, 2)), not bytes")
        }
        let valueIsNull = readFlag(row, 10, .valueIsNull, fail)
        var value: [UInt8]?
        let codec = row.storageClass(11) == SQLITE_INTEGER ? SpoolStoredValue.Codec(rawValue: row.int64(11)) : nil
        switch (row.storageClass(3), codec) {
        case (_, nil):
            value = valueIsNull ? nil : []
            fail(.valueCodec, "is \(Self.describe(row, 11)); it is 0 (the value as sent) or 1 (a zstd frame)")
        case (SQLITE_BLOB, .zstd):
            value = valueIsNull ? nil : readCompressed(row, fail)
            if valueIsNull { fail(.value, "holds a zstd frame, but value_is_null says the value is NULL") }
        case (_, .zstd):
            value = valueIsNull ? nil : []
            fail(.value, "is stored as \(Self.describe(row, 3)), not a zstd frame")
        case (SQLITE_BLOB, .asSent), (SQLITE_TEXT, .asSent):
            let bytes = row.bytes(3) ?? []
            if valueIsNull {
                if !bytes.isEmpty { fail(.value, "holds \(bytes.count) bytes, but value_is_null says the value is NULL") }
            } else {
                value = bytes
            }
        case (SQLITE_NULL, .asSent):
            if !valueIsNull { fail(.value, "is NULL without value_is_null; a NULL value is stored as an empty blob and value_is_null = 1") }
        case (_, .asSent):
            value = valueIsNull ? nil : []
            fail(.value, "is stored as \(Self.describe(row, 3)), not bytes")
        }
        var headers: [RecordHeader] = []
        switch row.storageClass(4) {
        case SQLITE_NULL: break
        case SQLITE_BLOB, SQLITE_TEXT:
            do {
                headers = try RecordHeaderCodec.decode(row.bytes(4))
            } catch let error as RecordHeaderCodec.DecodingError {
                fail(.headers, "are malformed: \(error.detail)")
            } catch {
                fail(.headers, "are malformed: \(error)")
            }
        default:
            fail(.headers, "are stored as \(Self.describe(row, 4)), not bytes")
        }
        var partition: Int32?
        switch row.storageClass(5) {
        case SQLITE_NULL: break
        case SQLITE_INTEGER:
            let stored = row.int64(5)
            if stored >= -1, stored <= Int64(Int32.max) {
                partition = Int32(stored)
            } else {
                fail(.partition, "is \(stored); a partition is a number from 0 to \(Int32.max), or -1 (or NULL) to let Kafka choose")
            }
        default:
            fail(.partition, "is stored as \(Self.describe(row, 5)), not an integer")
        }
        // Kept as stored even when out of range: listings show it as invalid.
        let timestamp = row.int64(6)
        if row.storageClass(6) == SQLITE_INTEGER {
            // -1 is Kafka's "no timestamp" (a producer may send it). Kafka's producers refuse any
            // other negative one (the Java client: "Timestamp should always be non-negative or
            // null"), and so do intake and import.
            if timestamp < -1 {
                fail(.createdAt, "is \(timestamp); a timestamp is milliseconds since 1970-01-01 UTC, from 0 (or -1, none)")
            }
        } else {
            fail(.createdAt, "is stored as \(Self.describe(row, 6)), not an integer")
        }
        var attempts = 0
        if row.storageClass(7) == SQLITE_INTEGER, (0...Int64(Int32.max)).contains(row.int64(7)) {
            attempts = Int(row.int64(7))
        } else {
            fail(.attempts, "is \(Self.describe(row, 7)); it counts failed replays, from 0 to \(Int32.max)")
        }
        let possiblyPersisted = readFlag(row, 9, .possiblyPersisted, fail)
        let record = Record(
            topic: topic, key: key, value: value, headers: headers, partition: partition,
            timestamp: timestamp, attempts: attempts, possiblyPersisted: possiblyPersisted
        )
        let recordBytes = record.payloadSize - topic.utf8.count
        if recordBytes > rules.maxRecordBytes {
            fail(.size, "is \(recordBytes) bytes of key, value and headers; the limit is \(rules.maxRecordBytes)")
        }
        // A cost no record can have is charged what the row holds (as `chargedCost` does in SQL).
        let storedCost = row.storageClass(8) == SQLITE_INTEGER ? row.int64(8) : -1
        let cost = (0...(Int64(1) << 32)).contains(storedCost) ? Int(storedCost) : Spool.cost(of: record)
        return (SpooledRecord(id: id, record: record, cost: cost), problem)
    }

    /// A value stored as a zstd frame, given back; what is wrong with the frame,
    /// its dictionary or its size is the row's problem (and an empty value).
    private func readCompressed(_ row: SQLiteStatement, _ fail: (SpoolRowProblem.Field, @autoclosure () -> String) -> Void) -> [UInt8] {
        var dictionaryID: Int64?
        switch row.storageClass(12) {
        case SQLITE_NULL: break
        case SQLITE_INTEGER: dictionaryID = row.int64(12)
        default:
            fail(.valueDictionary, "is \(Self.describe(row, 12)); it names a row of value_dictionaries, or is NULL")
            return []
        }
        // Checked before anything is allocated: the row must not choose how much memory a read takes.
        guard row.storageClass(13) == SQLITE_INTEGER, row.int64(13) >= 0 else {
            fail(.valueSize, "is \(Self.describe(row, 13)); a compressed value's size as sent is a number of bytes, from 0")
            return []
        }
        guard row.int64(13) <= rules.maxRecordBytes else {
            fail(.size, "is \(row.int64(13)) bytes of value as sent (value_size); the limit for key, value and headers is \(rules.maxRecordBytes)")
            return []
        }
        // The pointer first, then its length (SQLite's order; the column is a blob, so nothing is converted).
        let pointer = sqlite3_column_blob(row.handle, 3)
        let count = Int(sqlite3_column_bytes(row.handle, 3))
        let frame = UnsafeRawBufferPointer(start: count > 0 ? pointer : nil, count: count)
        switch values.decompress(frame, dictionaryID: dictionaryID, size: Int(row.int64(13))) {
        case .success(let value):
            return value
        case .failure(.value(let detail)):
            fail(.value, detail)
        case .failure(.dictionary(let detail)):
            fail(.valueDictionary, detail)
        }
        return []
    }

    /// The topic as text; a name Kafka would refuse, bytes that are not UTF-8
    /// or another type are problems.
    private mutating func readTopic(_ row: SQLiteStatement, _ fail: (SpoolRowProblem.Field, @autoclosure () -> String) -> Void) -> String {
        let storage = row.storageClass(1)
        guard storage == SQLITE_TEXT || storage == SQLITE_BLOB else {
            fail(.topic, "is stored as \(Self.describe(row, 1)), not text")
            return ""
        }
        let count = Int(sqlite3_column_bytes(row.handle, 1))
        let pointer = storage == SQLITE_TEXT ? UnsafeRawPointer(sqlite3_column_text(row.handle, 1)) : sqlite3_column_blob(row.handle, 1)
        let stored = UnsafeRawBufferPointer(start: count > 0 ? pointer : nil, count: count)
        if let lastTopic, lastTopic.bytes.elementsEqual(stored) { return lastTopic.text }
        let bytes = [UInt8](stored)
        guard let topic = String(validating: bytes, as: UTF8.self) else {
            fail(.topic, "is not UTF-8 text (\(bytes.count) bytes)")
            return String(decoding: bytes, as: UTF8.self)
        }
        if let why = KafkaTopicNameRule.problem(with: bytes) {
            fail(.topic, "\"\(topic.prefix(80))\" is not a valid Kafka topic name: \(why)")
            return topic
        }
        lastTopic = (bytes, topic)
        return topic
    }

    /// A 0-or-1 column; anything else is a problem, read as 0.
    private func readFlag(
        _ row: SQLiteStatement, _ column: Int32, _ field: SpoolRowProblem.Field,
        _ fail: (SpoolRowProblem.Field, @autoclosure () -> String) -> Void
    ) -> Bool {
        if row.storageClass(column) == SQLITE_INTEGER {
            switch row.int64(column) {
            case 0: return false
            case 1: return true
            default: break
            }
        }
        fail(field, "is \(Self.describe(row, column)); it must be 0 or 1")
        return false
    }

    /// A stored value for a message: its type, and the value when short.
    static func describe(_ row: SQLiteStatement, _ column: Int32) -> String {
        switch row.storageClass(column) {
        case SQLITE_INTEGER: return "\(row.int64(column))"
        case SQLITE_FLOAT: return "the real number \(sqlite3_column_double(row.handle, column))"
        case SQLITE_NULL: return "NULL"
        case SQLITE_TEXT:
            let bytes = row.bytes(column) ?? []
            let text = String(decoding: bytes.prefix(40), as: UTF8.self)
            return "the text '\(text)\(bytes.count > 40 ? "…" : "")'"
        default:
            return "a blob of \(Int(sqlite3_column_bytes(row.handle, column))) bytes"
        }
    }
}
