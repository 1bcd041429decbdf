/// A record a caller waits on, as the spool writer reports it back: which, how
/// big, and at which level it was asked.
struct AwaitedRecord: Sendable, Hashable {
    var id: UInt64
    var size: Int
    var level: AckLevel
}
