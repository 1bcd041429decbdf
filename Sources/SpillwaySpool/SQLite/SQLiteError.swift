import CSQLite

/// A failed SQLite call, with SQLite's own code and message kept for the log.
package struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// The extended result code.
    package var code: Int32
    package var message: String
    /// The SQL that failed, when there was one.
    package var sql: String?

    package var primaryCode: Int32 { code & 0xFF }

    /// The disk (or the spool's page bound) has no room for the write.
    package var isFull: Bool { primaryCode == SQLITE_FULL }
    /// The file is not a database, or its pages are damaged.
    package var isCorruption: Bool { primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_NOTADB }
    package var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }

    package var description: String {
        if let sql { return "\(message) (SQLite code \(code), in: \(sql.prefix(80)))" }
        return "\(message) (SQLite code \(code))"
    }
}
