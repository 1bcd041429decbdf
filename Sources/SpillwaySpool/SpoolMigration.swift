/// One versioned schema change from `migrations/NNNN_name.sql`, embedded at build time.
/// A shipped migration is never edited; a schema change is a new migration.
struct SpoolMigration: Sendable {
    var version: Int
    var name: String
    var sql: String

    /// The schema version this binary writes.
    static var latestVersion: Int { embedded.last?.version ?? 0 }
}
