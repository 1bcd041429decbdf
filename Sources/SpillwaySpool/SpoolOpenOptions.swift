/// What opening a spool for writing may do to the file system.
public struct SpoolOpenOptions: Sendable, Hashable {
    /// Create the file (and its directory) when it does not exist.
    public var createIfMissing: Bool
    /// Move a corrupt file aside (`NAME.corrupt-TIMESTAMP`) and start a fresh one,
    /// instead of failing. The service does this so it keeps running.
    public var quarantineCorrupt: Bool

    public init(createIfMissing: Bool, quarantineCorrupt: Bool) {
        self.createIfMissing = createIfMissing
        self.quarantineCorrupt = quarantineCorrupt
    }

    /// The service's choice: never stop for a bad spool file.
    public static let service = SpoolOpenOptions(createIfMissing: true, quarantineCorrupt: true)
    /// Maintenance tools' choice: change only an existing, healthy spool.
    public static let maintenance = SpoolOpenOptions(createIfMissing: false, quarantineCorrupt: false)
}
