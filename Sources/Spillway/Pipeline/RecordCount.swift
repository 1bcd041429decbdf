/// Records and their payload bytes.
struct RecordCount: Sendable, Hashable {
    private(set) var records = 0
    private(set) var bytes = 0

    mutating func add(_ records: Int, bytes: Int) {
        self.records += records
        self.bytes += bytes
    }

    mutating func remove(_ records: Int, bytes: Int) {
        self.records -= records
        self.bytes -= bytes
    }
}
