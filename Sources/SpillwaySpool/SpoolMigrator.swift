/// Applies `migrations/` in version order, one transaction each, recording every
/// applied version in `spillway_migrations` (the GRDB `DatabaseMigrator` rule).
enum SpoolMigrator {
    /// Marks a database file as a Spillway spool ("SPLW"), so foreign files are recognised.
    static let applicationID: Int64 = 0x5350_4C57

    /// The highest applied version, or 0 for a file no migration has touched.
    static func appliedVersion(_ connection: SQLiteConnection) throws -> Int {
        let hasTable = try connection.scalarInt(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'spillway_migrations'"
        ) ?? 0
        guard hasTable > 0 else { return 0 }
        return Int(try connection.scalarInt("SELECT max(version) FROM spillway_migrations") ?? 0)
    }

    /// Applies what is missing. Returns the versions applied.
    @discardableResult
    static func migrate(_ connection: SQLiteConnection, migrations: [SpoolMigration] = SpoolMigration.embedded, now: Int64) throws -> [Int] {
        let current = try appliedVersion(connection)
        var applied: [Int] = []
        for migration in migrations where migration.version > current {
            try connection.transaction {
                if migration.version == 1 {
                    try connection.execute(
                        """
                        CREATE TABLE spillway_migrations (
                            version    INTEGER PRIMARY KEY,
                            name       TEXT    NOT NULL,
                            applied_at INTEGER NOT NULL
                        );
                        PRAGMA application_id = \(applicationID);
                        """
                    )
                }
                try connection.execute(migration.sql)
                let record = try connection.prepare("INSERT INTO spillway_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)")
                record.bind(Int64(migration.version), at: 1)
                record.bind(migration.name, at: 2)
                record.bind(now, at: 3)
                try record.step()
            }
            applied.append(migration.version)
        }
        return applied
    }
}
