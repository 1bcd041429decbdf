import CSQLite
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

extension Spool {
    /// Opens a spool for writing: takes the writer lock, verifies the file,
    /// applies migrations. A file written by a newer schema, or a database that
    /// is not a spool, is refused and left untouched.
    public static func open(
        _ configuration: SpoolConfiguration,
        options: SpoolOpenOptions = .service,
        logger: Logger = Logger(label: "spillway.spool")
    ) throws(SpoolError) -> Spool {
        try configuration.validate()
        let path = configuration.path
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists {
            guard options.createIfMissing else { throw .notFound(path: path) }
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                do {
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                } catch {
                    throw .io(path: path, detail: "cannot create directory \(directory): \(error.localizedDescription)")
                }
            }
        }
        try refuseDirectory(path)
        if exists, !options.createIfMissing, Self.isEmptyFile(path) {
            // An empty file is no spool; only commands that may create one turn it into one.
            throw .notASpool(path: path, detail: "the file is empty")
        }
        // A spool this process cannot write would take records and lose them: refuse it now, saying why.
        if let problem = writabilityProblem(path) {
            throw .notWritable(path: path, detail: problem)
        }
        let lock = try SpoolLock(spoolPath: path)
        do {
            do {
                return try openLocked(configuration, lock: lock, quarantinedPath: nil, logger: logger)
            } catch let error where options.quarantineCorrupt && error.isCorruptFile {
                let movedTo = try quarantine(path, reason: "\(error)", logger: logger)
                return try openLocked(configuration, lock: lock, quarantinedPath: movedTo, logger: logger)
            }
        } catch {
            lock.abandon()
            throw error.asSpoolError(path: path)
        }
    }

    /// Opens an existing spool read-only, for inspection, without the writer lock:
    /// it works beside a running service. Never creates, moves or changes a file.
    public static func openForInspection(path: String, integrityCheck: SpoolConfiguration.IntegrityCheck = .quick) throws(SpoolError) -> Spool {
        guard FileManager.default.fileExists(atPath: path) else { throw .notFound(path: path) }
        try refuseDirectory(path)
        do {
            // Without a write-ahead log, no writer has the file open and everything is in
            // the file itself: read it as immutable, which creates no `-wal`/`-shm` files
            // (a folder we cannot write, or files left owned by whoever ran this).
            // With one, read through it, as SQLite must to see a running writer's commits.
            let hasLog = FileManager.default.fileExists(atPath: path + "-wal")
            let connection = try SQLiteConnection(path: path, mode: hasLog ? .readOnly : .immutable)
            try connection.execute("PRAGMA busy_timeout = 5000")
            _ = try verifyApplicationID(connection, path: path, allowEmpty: false)
            try checkIntegrity(connection, integrityCheck, path: path)
            let version = try verifiedSchemaVersion(connection, path: path)
            if version < SpoolMigration.latestVersion {
                throw SpoolError.notASpool(path: path, detail: "schema version \(version) needs migrating; open it once with a write command or `spillway serve`")
            }
            var configuration = SpoolConfiguration(path: path)
            configuration.integrityCheck = integrityCheck
            return try Spool(configuration: configuration, connection: connection, lock: nil, quarantinedPath: nil, logger: Logger(label: "spillway.spool"))
        } catch let error as SQLiteError where error.primaryCode == SQLITE_NOTADB {
            throw .notASpool(path: path, detail: "not an SQLite database (or its header is damaged)")
        } catch {
            throw error.asSpoolError(path: path)
        }
    }

    private static func openLocked(_ configuration: SpoolConfiguration, lock: SpoolLock, quarantinedPath: String?, logger: Logger) throws -> Spool {
        let path = configuration.path
        let connection = try SQLiteConnection(path: path, mode: .readWriteCreate)
        if connection.isReadOnly {
            throw SpoolError.notWritable(path: path, detail: writabilityProblem(path) ?? Self.readOnlyFile)
        }
        try connection.execute("PRAGMA busy_timeout = 5000")
        let isEmpty = try verifyApplicationID(connection, path: path, allowEmpty: true)
        // Integrity first: damaged pages can masquerade as anything, a future schema included.
        if !isEmpty {
            try checkIntegrity(connection, configuration.integrityCheck, path: path)
        }
        _ = try verifiedSchemaVersion(connection, path: path)
        let walLimit = configuration.walCheckpointPages * Int(try connection.scalarInt("PRAGMA page_size") ?? 4096)
        let journalMode = try connection.scalarText("PRAGMA journal_mode = WAL")
        guard journalMode?.lowercased() == "wal" else {
            throw SpoolError.io(path: path, detail: "cannot switch to write-ahead logging (journal mode is \(journalMode ?? "unknown"))")
        }
        try connection.execute(
            """
            PRAGMA synchronous = \(configuration.durability == .full ? "FULL" : "NORMAL");
            PRAGMA wal_autocheckpoint = \(configuration.walCheckpointPages);
            PRAGMA journal_size_limit = \(walLimit);
            PRAGMA temp_store = MEMORY;
            """
        )
        let applied = try SpoolMigrator.migrate(connection, now: Self.nowMilliseconds())
        if !applied.isEmpty {
            logger.info("spool schema migrated", metadata: ["spool": "\(path)", "versions": "\(applied)"])
        }
        try probeWrite(connection, path: path)
        let spool = try Spool(configuration: configuration, connection: connection, lock: lock, quarantinedPath: quarantinedPath, logger: logger)
        // Before any write: appends take ids from `next_id`, replay goes by the ready count.
        spool.rowsRenumberedAtOpen = try spool.renumberStrayRows()
        spool.totalsRepairedAtOpen = try spool.repairTotals().problems
        try spool.recoverEscrow()
        return spool
    }

    /// Writes in a transaction that is rolled back: opening can succeed on a file
    /// SQLite may only read (a stale `-shm` of another user, say); this cannot.
    private static func probeWrite(_ connection: SQLiteConnection, path: String) throws {
        do {
            try connection.execute("BEGIN IMMEDIATE; UPDATE spool_totals SET next_id = next_id WHERE singleton = 1;")
            connection.rollback()
        } catch {
            connection.rollback()
            if error.isPrimary(SQLITE_READONLY) || error.isPrimary(SQLITE_CANTOPEN) || error.isPrimary(SQLITE_PERM) {
                throw SpoolError.notWritable(path: path, detail: writabilityProblem(path) ?? "a test write failed: \(error.message)")
            }
            throw error
        }
    }

    static let readOnlyFile = "the file is read-only for this process (its mode or owner, or a read-only mount); "
        + "a spool that cannot take records would lose them, so it is not used: make it writable by this user"

    /// Why this process could not write the spool at `path`, or `nil` when it can,
    /// as far as permissions tell (`access` heeds mode, owner, read-only mounts and
    /// immutable files, for root too).
    static func writabilityProblem(_ path: String) -> String? {
        func writable(_ target: String) -> Bool {
            faccessat(AT_FDCWD, target, W_OK, AT_EACCESS) == 0
        }
        let files = FileManager.default
        if files.fileExists(atPath: path), !writable(path) { return readOnlyFile }
        let sideFiles = [path + "-wal", path + "-shm", path + ".lock"]
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        if !files.fileExists(atPath: path) || sideFiles.contains(where: { !files.fileExists(atPath: $0) }), !writable(folder) {
            return "its folder \(folder) is not writable for this process, and SQLite must create files there "
                + "(the write-ahead log, the lock file): make the folder writable by this user"
        }
        if let stale = sideFiles.first(where: { files.fileExists(atPath: $0) && !writable($0) }) {
            return "\(stale) is read-only for this process (left by another user?): remove it, or make it writable by this user"
        }
        return nil
    }

    /// Checks the file is ours (or empty, when allowed). Returns `true` for an empty file.
    private static func verifyApplicationID(_ connection: SQLiteConnection, path: String, allowEmpty: Bool) throws -> Bool {
        let applicationID = try connection.scalarInt("PRAGMA application_id") ?? 0
        if applicationID == SpoolMigrator.applicationID { return false }
        let tables = try connection.scalarInt("SELECT count(*) FROM sqlite_schema") ?? 0
        if tables == 0 && applicationID == 0 {
            if allowEmpty { return true }
            throw SpoolError.notASpool(path: path, detail: "it is an empty SQLite database")
        }
        throw SpoolError.notASpool(
            path: path,
            detail: applicationID == 0
                ? "it is an SQLite database with other tables; refusing to touch it"
                : "it is an SQLite database of another application (application_id \(applicationID)); refusing to touch it"
        )
    }

    /// The file's schema version, refusing one from a newer Spillway.
    private static func verifiedSchemaVersion(_ connection: SQLiteConnection, path: String) throws -> Int {
        let version = try SpoolMigrator.appliedVersion(connection)
        if version > SpoolMigration.latestVersion {
            throw SpoolError.futureSchema(path: path, found: version, supported: SpoolMigration.latestVersion)
        }
        return version
    }

    private static func checkIntegrity(_ connection: SQLiteConnection, _ check: SpoolConfiguration.IntegrityCheck, path: String) throws {
        let pragma: String
        switch check {
        case .skip: return
        case .quick: pragma = "PRAGMA quick_check(1)"
        case .full: pragma = "PRAGMA integrity_check(1)"
        }
        let result = try connection.scalarText(pragma) ?? "no result"
        guard result == "ok" else {
            let problems = result.split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("***") }
            throw SpoolError.corrupt(path: path, detail: "integrity check failed: \(problems.joined(separator: "; "))")
        }
        // The totals row exists (its columns of every schema version; later ones may not be migrated yet).
        guard try connection.scalarInt("SELECT count(*) FROM spool_totals WHERE singleton = 1") == 1 else {
            throw SQLiteError(code: SQLITE_CORRUPT, message: "the spool_totals row is missing")
        }
    }

    /// Moves a corrupt spool and its write-ahead log aside; returns the new name.
    private static func quarantine(_ path: String, reason: String, logger: Logger) throws(SpoolError) -> String {
        let stamp = Date().ISO8601Format(.iso8601.year().month().day().dateTimeSeparator(.standard).time(includingFractionalSeconds: false))
            .replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "")
        var target = "\(path).corrupt-\(stamp)"
        var suffix = 1
        while FileManager.default.fileExists(atPath: target) {
            suffix += 1
            target = "\(path).corrupt-\(stamp)-\(suffix)"
        }
        do {
            try FileManager.default.moveItem(atPath: path, toPath: target)
            if FileManager.default.fileExists(atPath: path + "-wal") {
                try FileManager.default.moveItem(atPath: path + "-wal", toPath: target + "-wal")
            }
            try? FileManager.default.removeItem(atPath: path + "-shm")
        } catch {
            throw .io(path: path, detail: "spool is corrupt and could not be moved aside: \(error.localizedDescription)")
        }
        logger.error(
            "spool was corrupt; moved it aside and started a fresh one",
            metadata: ["spool": "\(path)", "moved_to": "\(target)", "reason": "\(reason)"]
        )
        return target
    }

    private static func isEmptyFile(_ path: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) == 0
    }

    private static func refuseDirectory(_ path: String) throws(SpoolError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw .notASpool(path: path, detail: "it is a directory")
        }
    }

    static func nowMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}

extension Error {
    /// Damage that quarantine can cure: not a database, or damaged pages.
    fileprivate var isCorruptFile: Bool {
        if let error = self as? SQLiteError { return error.isCorruption }
        if case .corrupt = self as? SpoolError { return true }
        return false
    }

    fileprivate func asSpoolError(path: String) -> SpoolError {
        if let error = self as? SpoolError { return error }
        if let error = self as? SQLiteError {
            // Said the same way as by the read-only commands.
            if error.primaryCode == SQLITE_NOTADB { return .notASpool(path: path, detail: "not an SQLite database (or its header is damaged)") }
            if error.isCorruption { return .corrupt(path: path, detail: error.message) }
            if error.isFull { return .diskFull(path: path) }
            if error.primaryCode == SQLITE_READONLY || error.primaryCode == SQLITE_CANTOPEN, let problem = Spool.writabilityProblem(path) {
                return .notWritable(path: path, detail: problem)
            }
            return .io(path: path, detail: error.description)
        }
        return .io(path: path, detail: "\(self)")
    }

    fileprivate func isPrimary(_ code: Int32) -> Bool {
        (self as? SQLiteError)?.primaryCode == code
    }

    fileprivate var message: String {
        (self as? SQLiteError)?.message ?? "\(self)"
    }
}
