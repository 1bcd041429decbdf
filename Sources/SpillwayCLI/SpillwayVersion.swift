import CSQLite
import Spillway

/// The version this binary reports, with the libraries it actually loaded.
enum SpillwayVersion {
    static let current = "0.1.0"

    /// librdkafka as loaded at run time, not as compiled against: `LD_LIBRARY_PATH`
    /// can put a newer one in place of the distribution's, and which one is
    /// loaded decides which brokers Spillway can speak to.
    static var librdkafka: String { RDKafkaClient.libraryVersion }

    /// SQLite as loaded at run time.
    static var sqlite: String { String(cString: sqlite3_libversion()) }

    /// `spillway 0.1.0 (librdkafka 2.0.2, SQLite 3.40.1)`.
    static var description: String { "spillway \(current) (librdkafka \(librdkafka), SQLite \(sqlite))" }
}
