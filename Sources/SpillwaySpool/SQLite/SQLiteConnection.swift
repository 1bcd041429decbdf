import CSQLite

/// One open SQLite database. Not shareable: exactly one owner uses it at a time,
/// which is why it is neither `Sendable` nor locked.
package final class SQLiteConnection {
    package enum Mode: Sendable {
        case readWriteCreate
        case readWrite
        case readOnly
        /// Read-only, and SQLite is told nothing changes the file while it is open
        /// (`immutable=1`): no locks, no `-wal`/`-shm` files. Only for a file no
        /// writer has open, as a missing write-ahead log shows.
        case immutable
    }

    let handle: OpaquePointer
    package let path: String

    package init(path: String, mode: Mode) throws(SQLiteError) {
        var flags: Int32 = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE
        switch mode {
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readOnly, .immutable: flags |= SQLITE_OPEN_READONLY
        }
        var target = path
        if mode == .immutable {
            flags |= SQLITE_OPEN_URI
            target = Self.fileURI(path) + "?immutable=1"
        }
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(target, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: message)
        }
        sqlite3_extended_result_codes(db, 1)
        self.handle = db
        self.path = path
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// `file:` URI for `path`, escaping what a URI would read as syntax.
    static func fileURI(_ path: String) -> String {
        var uri = "file:"
        for character in path.unicodeScalars {
            switch character {
            case "%": uri += "%25"
            case "?": uri += "%3F"
            case "#": uri += "%23"
            default: uri.unicodeScalars.append(character)
            }
        }
        return uri
    }

    /// `true` when SQLite opened the file read-only, whatever was asked (it falls
    /// back to read-only, silently, when the file cannot be opened for writing).
    package var isReadOnly: Bool {
        sqlite3_db_readonly(handle, "main") == 1
    }

    /// Bytes SQLite's page cache holds for this connection (`SQLITE_DBSTATUS_CACHE_USED`).
    package var cacheBytes: Int {
        var current: Int32 = 0
        var highest: Int32 = 0
        guard sqlite3_db_status(handle, SQLITE_DBSTATUS_CACHE_USED, &current, &highest, 0) == SQLITE_OK else { return 0 }
        return Int(current)
    }

    /// Frees the cached pages no statement holds (`sqlite3_db_release_memory`).
    package func releaseCache() {
        _ = sqlite3_db_release_memory(handle)
    }

    /// Runs one or more statements that return no rows.
    package func execute(_ sql: String) throws(SQLiteError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: sqlite3_extended_errcode(handle), message: message, sql: sql)
        }
    }

    package func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        try SQLiteStatement(connection: self, sql: sql)
    }

    /// The first column of the first row, as an integer; `nil` when there is no row.
    package func scalarInt(_ sql: String) throws(SQLiteError) -> Int64? {
        let statement = try prepare(sql)
        guard try statement.step() else { return nil }
        return statement.isNull(0) ? nil : statement.int64(0)
    }

    package func scalarText(_ sql: String) throws(SQLiteError) -> String? {
        let statement = try prepare(sql)
        guard try statement.step() else { return nil }
        return statement.isNull(0) ? nil : statement.text(0)
    }

    /// Runs `body` inside one IMMEDIATE transaction; rolls back if anything throws.
    package func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            rollback()
            throw error
        }
    }

    package func rollback() {
        if sqlite3_get_autocommit(handle) == 0 {
            sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
        }
    }

    package var lastError: SQLiteError {
        SQLiteError(code: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)))
    }

    package var changes: Int { Int(sqlite3_changes64(handle)) }

    /// The rowid the last successful INSERT on this connection gave its row.
    package var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}

