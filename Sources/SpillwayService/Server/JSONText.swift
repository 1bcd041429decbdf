/// A JSON object written straight into bytes, for replies built per request at
/// high rates (a batch's per-record answers): Foundation's `JSONEncoder` costs
/// more than the rest of the request. Keys are written in the order given:
/// callers give them sorted, as `JSONResponse` sorts them.
struct JSONText {
    private(set) var bytes: [UInt8] = []
    private var first = [true]

    init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        first.append(true)
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        first.removeLast()
    }

    mutating func beginArray(_ key: String) {
        self.key(key)
        bytes.append(UInt8(ascii: "["))
        first.append(true)
    }

    mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        first.removeLast()
    }

    mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
    }

    mutating func field(_ key: String, _ value: Int) {
        self.key(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func field(_ key: String, _ value: some BinaryInteger) {
        field(key, Int(value))
    }

    mutating func field(_ key: String, _ value: String) {
        self.key(key)
        string(value)
    }

    /// Writes the field only when `value` is set, as `JSONEncoder` leaves out `nil`.
    mutating func field(_ key: String, ifPresent value: String?) {
        if let value { field(key, value) }
    }

    mutating func field<T: BinaryInteger>(_ key: String, ifPresent value: T?) {
        if let value { field(key, value) }
    }

    private mutating func key(_ key: String) {
        separate()
        string(key)
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func separate() {
        guard !first.isEmpty else { return }
        if first[first.count - 1] {
            first[first.count - 1] = false
        } else {
            bytes.append(UInt8(ascii: ","))
        }
    }

    /// A JSON string (RFC 8259): quote, backslash and control characters escaped.
    private mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings (keys, dispositions, levels) need no escape: copy them whole.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: text.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
