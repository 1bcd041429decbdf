import CSQLite

/// A prepared statement, meant to be kept and reused: preparing is the costly part.
package final class SQLiteStatement {
    let handle: OpaquePointer
    unowned let connection: SQLiteConnection
    let sql: String

    init(connection: SQLiteConnection, sql: String) throws(SQLiteError) {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw SQLiteError(code: sqlite3_extended_errcode(connection.handle), message: String(cString: sqlite3_errmsg(connection.handle)), sql: sql)
        }
        self.handle = statement
        self.connection = connection
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Advances one row. `true` when a row is available, `false` when done.
    @discardableResult
    package func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            throw SQLiteError(code: sqlite3_extended_errcode(connection.handle), message: String(cString: sqlite3_errmsg(connection.handle)), sql: sql)
        }
    }

    /// Clears bindings' effect and rewinds, ready for the next execution.
    package func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    // MARK: Binding (1-based indices, as in SQLite)

    package func bind(_ value: Int64, at index: Int32) {
        sqlite3_bind_int64(handle, index, value)
    }

    package func bind(_ value: Int64?, at index: Int32) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    /// The index of a named parameter such as `:topic`.
    package func parameterIndex(_ name: String) -> Int32 {
        sqlite3_bind_parameter_index(handle, name)
    }

    package func bindNull(at index: Int32) {
        sqlite3_bind_null(handle, index)
    }

    /// Binds text; SQLite copies it.
    package func bind(_ value: String, at index: Int32) {
        _ = sqlite3_bind_text(handle, index, value, -1, csqlite_transient())
    }

    /// Binds a blob without copying. The bytes must stay alive until the next `step`
    /// returns, so callers bind inside `withUnsafeBytes` around the step.
    package func bindStaticBlob(_ buffer: UnsafeRawBufferPointer, at index: Int32) {
        // A zero-length blob must not be bound as NULL: use a valid pointer.
        if buffer.count == 0 {
            sqlite3_bind_zeroblob(handle, index, 0)
        } else {
            sqlite3_bind_blob(handle, index, buffer.baseAddress, Int32(buffer.count), csqlite_static())
        }
    }

    /// Binds a blob; SQLite copies it.
    package func bind(_ bytes: [UInt8], at index: Int32) {
        bytes.withUnsafeBytes { buffer in
            if buffer.count == 0 {
                _ = sqlite3_bind_zeroblob(handle, index, 0)
            } else {
                _ = sqlite3_bind_blob(handle, index, buffer.baseAddress, Int32(buffer.count), csqlite_transient())
            }
        }
    }

    // MARK: Reading columns (0-based indices, as in SQLite)

    package func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    /// The column's storage class (`SQLITE_INTEGER`, `SQLITE_TEXT`, ...) as the
    /// row holds it. Ask before reading the value: reading it as another type
    /// converts it.
    package func storageClass(_ column: Int32) -> Int32 {
        sqlite3_column_type(handle, column)
    }

    /// A text or blob column's bytes as stored, without decoding or repairing
    /// them; `nil` for NULL. SQLite stores whatever bytes it is given as text.
    package func bytes(_ column: Int32) -> [UInt8]? {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_NULL: return nil
        case SQLITE_TEXT:
            let count = Int(sqlite3_column_bytes(handle, column))
            guard count > 0, let pointer = sqlite3_column_text(handle, column) else { return [] }
            return [UInt8](UnsafeBufferPointer(start: pointer, count: count))
        default:
            return blob(column)
        }
    }

    package func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    package func optionalInt64(_ column: Int32) -> Int64? {
        isNull(column) ? nil : int64(column)
    }

    package func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    package func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let pointer = sqlite3_column_blob(handle, column) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: pointer, count: count))
    }

    package func optionalBlob(_ column: Int32) -> [UInt8]? {
        isNull(column) ? nil : blob(column)
    }
}
