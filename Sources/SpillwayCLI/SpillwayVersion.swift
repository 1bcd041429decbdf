/// The version this binary reports.
enum SpillwayVersion {
    static let current = "0.1.0"
}
