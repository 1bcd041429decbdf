/// A strict RFC 8259 parser: exactly one value, optionally surrounded by
/// whitespace; UTF-8 only; no comments, trailing commas, NaN, leading zeros,
/// unescaped control characters or unpaired surrogates. Foundation's decoder
/// cannot say where a value's text lies, which byte-exact forwarding needs.
package struct RawJSONParser {
    /// Nesting beyond this is refused rather than risking the stack.
    package static let maxDepth = 512

    /// Parses `bytes` as one JSON text. Ranges in the result are offsets into `bytes`.
    package static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> RawJSON {
        try parse(bytes[...])
    }

    /// Parses a slice (an NDJSON line, say); ranges are offsets from the slice's start.
    package static func parse(_ bytes: ArraySlice<UInt8>) throws(JSONSyntaxError) -> RawJSON {
        let result: Result<RawJSON, JSONSyntaxError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = RawJSONParser(buffer)
            return Result { () throws(JSONSyntaxError) -> RawJSON in try parser.document() }
        }
        return try result.get()
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    private mutating func document() throws(JSONSyntaxError) -> RawJSON {
        skipWhitespace()
        guard index < bytes.count else { throw fail("no JSON value (the text is empty)") }
        let value = try self.value()
        skipWhitespace()
        if index < bytes.count {
            throw fail("unexpected \(describe(bytes[index])) after the JSON value; exactly one value is allowed")
        }
        return value
    }

    // MARK: Values

    private mutating func value() throws(JSONSyntaxError) -> RawJSON {
        guard index < bytes.count else { throw fail("the text ends where a value was expected") }
        let start = index
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return RawJSON(kind: .string(try string()), range: start..<index)
        case UInt8(ascii: "t"): try literal("true"); return RawJSON(kind: .bool(true), range: start..<index)
        case UInt8(ascii: "f"): try literal("false"); return RawJSON(kind: .bool(false), range: start..<index)
        case UInt8(ascii: "n"): try literal("null"); return RawJSON(kind: .null, range: start..<index)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try number()
            return RawJSON(kind: .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)), range: start..<index)
        default:
            throw fail("unexpected \(describe(bytes[index])) where a value was expected")
        }
    }

    private mutating func object() throws(JSONSyntaxError) -> RawJSON {
        let start = index
        try enter()
        index += 1
        var members: [RawJSON.Member] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return RawJSON(kind: .object(members), range: start..<index)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw fail(index < bytes.count ? "expected a member name in quotes, found \(describe(bytes[index]))" : "the text ends inside an object")
            }
            let name = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw fail(index < bytes.count ? "expected ':' after a member name, found \(describe(bytes[index]))" : "the text ends inside an object")
            }
            index += 1
            skipWhitespace()
            members.append(RawJSON.Member(name: name, value: try value()))
            skipWhitespace()
            guard index < bytes.count else { throw fail("the text ends inside an object") }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return RawJSON(kind: .object(members), range: start..<index)
            default:
                throw fail("expected ',' or '}' after an object member, found \(describe(bytes[index]))")
            }
        }
    }

    private mutating func array() throws(JSONSyntaxError) -> RawJSON {
        let start = index
        try enter()
        index += 1
        var elements: [RawJSON] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return RawJSON(kind: .array(elements), range: start..<index)
        }
        while true {
            skipWhitespace()
            elements.append(try value())
            skipWhitespace()
            guard index < bytes.count else { throw fail("the text ends inside an array") }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return RawJSON(kind: .array(elements), range: start..<index)
            default:
                throw fail("expected ',' or ']' after an array element, found \(describe(bytes[index]))")
            }
        }
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maxDepth { throw fail("arrays and objects are nested deeper than \(Self.maxDepth) levels") }
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw fail("unexpected \(describe(bytes[index])) where a value was expected") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw fail("unexpected \(describe(bytes[index])) where a value was expected")
        }
        index += count
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func number() throws(JSONSyntaxError) {
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw fail("a number needs a digit after '-'") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) { throw fail("numbers have no leading zeros") }
        } else {
            skipDigits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("a number needs a digit after '.'") }
            skipDigits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("a number needs a digit in its exponent") }
            skipDigits()
        }
    }

    // MARK: Strings

    /// Reads a string from its opening quote to just past its closing one.
    private mutating func string() throws(JSONSyntaxError) -> String {
        let open = index
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = try utf8(UnsafeBufferPointer(rebasing: bytes[start..<index]), at: start)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw controlCharacter(byte) }
            index += 1
        }
        guard index < bytes.count else { throw JSONSyntaxError(offset: open, message: "a string is not closed") }
        var decoded = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                let text = try utf8(decoded, at: start)
                index += 1
                return text
            case UInt8(ascii: "\\"):
                try escape(into: &decoded)
            case ..<0x20:
                throw controlCharacter(byte)
            default:
                decoded.append(byte)
                index += 1
            }
        }
        throw JSONSyntaxError(offset: open, message: "a string is not closed")
    }

    private mutating func escape(into decoded: inout [UInt8]) throws(JSONSyntaxError) {
        let at = index
        index += 1
        guard index < bytes.count else { throw JSONSyntaxError(offset: at, message: "a string ends inside an escape") }
        let code = bytes[index]
        index += 1
        switch code {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(code)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4(at: at)
            if (0xD800...0xDBFF).contains(scalar) {
                guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw JSONSyntaxError(offset: at, message: "\\u\(hex(scalar)) is an unpaired surrogate")
                }
                index += 2
                let low = try hex4(at: at)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw JSONSyntaxError(offset: at, message: "\\u\(hex(scalar)) is an unpaired surrogate")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw JSONSyntaxError(offset: at, message: "\\u\(hex(scalar)) is an unpaired surrogate")
            }
            decoded.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
        default:
            throw JSONSyntaxError(offset: at, message: "\\\(describeEscape(code)) is not a JSON escape")
        }
    }

    private mutating func hex4(at escapeStart: Int) throws(JSONSyntaxError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw JSONSyntaxError(offset: escapeStart, message: "\\u needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONSyntaxError(offset: escapeStart, message: "\\u needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private func utf8(_ bytes: some Collection<UInt8>, at offset: Int) throws(JSONSyntaxError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw JSONSyntaxError(offset: offset, message: "a string holds bytes that are not UTF-8")
        }
        return text
    }

    // MARK: Helpers

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func skipDigits() {
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private func fail(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: index, message: message)
    }

    private func controlCharacter(_ byte: UInt8) -> JSONSyntaxError {
        let name = byte == 0x0A ? "a line break" : byte == 0x09 ? "a tab" : "control character 0x\(hex(UInt32(byte), width: 2))"
        return fail("a string holds \(name); write it escaped (\\n, \\t, \\u00XX)")
    }

    private func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        if byte == 0x0A { return "a line break" }
        return "byte 0x\(hex(UInt32(byte), width: 2))"
    }

    private func describeEscape(_ byte: UInt8) -> String {
        byte >= 0x21 && byte < 0x7F ? String(Character(Unicode.Scalar(byte))) : "(byte 0x\(hex(UInt32(byte), width: 2)))"
    }

    private func hex(_ value: UInt32, width: Int = 4) -> String {
        let digits = String(value, radix: 16, uppercase: false)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
