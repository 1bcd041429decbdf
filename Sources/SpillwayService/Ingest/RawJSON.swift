/// A JSON value parsed strictly (RFC 8259), remembering where its text lies in
/// the input. The REST Proxy's embedded JSON is forwarded as that exact text
/// (no re-serialising: big integers, `1.10`, key order and spacing survive), and
/// objects keep every member in order, so a name given twice can be refused
/// instead of one silently winning.
package struct RawJSON: Sendable {
    package enum Kind: Sendable {
        case null
        case bool(Bool)
        /// The number's text as written (grammar checked, value not converted).
        case number(String)
        case string(String)
        case array([RawJSON])
        case object([Member])
    }

    /// One `"name": value` pair of an object, in the order written.
    package struct Member: Sendable {
        package var name: String
        package var value: RawJSON
    }

    package var kind: Kind
    /// Byte offsets of the value's text within the parsed input.
    package var range: Range<Int>

    /// What the value is, as an error message names it ("expected a string, found a number").
    package var typeName: String {
        switch kind {
        case .null: "null"
        case .bool: "true or false"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The text of an integer literal (no fraction, no exponent), else `nil`.
    package var integerText: String? {
        guard case .number(let text) = kind, !text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) else { return nil }
        return text
    }

    /// `true` for a number beyond a 64-bit float's range (`1e400`): most JSON
    /// readers cannot take it back, so forwarding it would hand consumers a poison pill.
    package var isOutOfFloatRange: Bool {
        guard case .number(let text) = kind else { return false }
        let digitsBeforeExponent = text.utf8.prefix { $0 != UInt8(ascii: "e") && $0 != UInt8(ascii: "E") }.count
        // Without an exponent, under 300 characters cannot reach 1.8e308.
        if digitsBeforeExponent == text.utf8.count && text.utf8.count < 300 { return false }
        guard let value = Double(text) else { return true }
        return !value.isFinite
    }

    /// The first number in this value (at any depth) beyond a 64-bit float's range.
    package var firstOutOfRangeNumber: String? {
        switch kind {
        case .number(let text): return isOutOfFloatRange ? text : nil
        case .array(let elements):
            for element in elements { if let found = element.firstOutOfRangeNumber { return found } }
            return nil
        case .object(let members):
            for member in members { if let found = member.value.firstOutOfRangeNumber { return found } }
            return nil
        default: return nil
        }
    }

    package var isNull: Bool {
        if case .null = kind { return true }
        return false
    }
}
