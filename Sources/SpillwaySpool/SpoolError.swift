/// Why a spool operation failed, worded for the person who must act on it.
public enum SpoolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another process holds the writer lock.
    case locked(path: String, pid: Int32?)
    /// Nothing exists at the path (read-only opens never create).
    case notFound(path: String)
    /// The file exists but is not a Spillway spool; it is left untouched.
    case notASpool(path: String, detail: String)
    /// The file is damaged. Read-only opens report it; the writer moves it aside.
    case corrupt(path: String, detail: String)
    /// Written by a newer Spillway; left untouched.
    case futureSchema(path: String, found: Int, supported: Int)
    /// This process cannot write the file or its folder (mode, owner, read-only
    /// mount): a spool that takes nothing would drop records while looking ready.
    case notWritable(path: String, detail: String)
    /// The disk has no room: the batch was not spooled.
    case diskFull(path: String)
    /// Any other I/O failure: the batch was not spooled, the spool stays usable.
    case io(path: String, detail: String)
    case invalidConfiguration(String)
    /// No record id is left: `next_id` reached the end of Int64's range. Nothing was written.
    case idsExhausted(path: String)

    public var description: String {
        switch self {
        case let .locked(path, pid):
            let holder = pid.map { " (pid \($0))" } ?? ""
            return "spool at \(path) is locked by another process\(holder)"
        case let .notFound(path):
            return "no spool at \(path)"
        case let .notASpool(path, detail):
            return "\(path) is not a Spillway spool: \(detail)"
        case let .corrupt(path, detail):
            return "spool at \(path) is corrupt: \(detail)"
        case let .futureSchema(path, found, supported):
            return "spool at \(path) has schema version \(found), but this spillway knows versions up to \(supported); upgrade spillway to open it"
        case let .notWritable(path, detail):
            return "spool at \(path) cannot be written: \(detail)"
        case let .diskFull(path):
            return "no space left on the disk holding spool \(path)"
        case let .io(path, detail):
            return "I/O error on spool \(path): \(detail)"
        case let .invalidConfiguration(message):
            return message
        case let .idsExhausted(path):
            return "spool at \(path) has no record id left: the next would be past \(Int64.max), the end of the range; "
                + "nothing was written: export the spool and import the lines without their \"id\" into a new one"
        }
    }
}
