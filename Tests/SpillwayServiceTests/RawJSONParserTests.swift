import SpillwayService
import Testing

/// The strict RFC 8259 parser under both ingest decoders: what it takes, what it
/// refuses and where it says the problem is, and the byte ranges forwarding relies on.
@Suite struct RawJSONParserTests {
    static func parse(_ text: String) throws(JSONSyntaxError) -> RawJSON {
        try RawJSONParser.parse(Array(text.utf8))
    }

    static func refusal(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> JSONSyntaxError? {
        do {
            let value = try RawJSONParser.parse(bytes)
            Issue.record("parsed as \(value.typeName)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    static func refusal(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSONSyntaxError? {
        refusal(Array(text.utf8), sourceLocation: sourceLocation)
    }

    @Test(arguments: ["0", "-0", "7", "-12", "0.5", "1.25e10", "1E+2", "3e-7", "123456789012345678901234567890"])
    func numbersAreKeptAsWritten(text: String) throws {
        guard case .number(let kept) = try Self.parse(" \(text) ").kind else {
            Issue.record("not a number")
            return
        }
        #expect(kept == text)
    }

    @Test(arguments: [
        ("01", "numbers have no leading zeros"), ("-", "a number needs a digit after '-'"), ("1.", "a number needs a digit after '.'"),
        ("1e", "a number needs a digit in its exponent"), ("1e+", "a number needs a digit in its exponent"),
        (".5", "unexpected '.' where a value was expected"), ("+1", "unexpected '+' where a value was expected"),
        ("NaN", "unexpected 'N' where a value was expected"), ("Infinity", "unexpected 'I' where a value was expected"),
        ("-Infinity", "a number needs a digit after '-'"), ("0x10", "unexpected 'x' after the JSON value; exactly one value is allowed"),
    ])
    func numbersOutsideTheGrammarAreRefused(text: String, message: String) {
        #expect(Self.refusal(text)?.message == message, "\(text)")
    }

    @Test func literalsAreExact() throws {
        #expect(try Self.parse("true").typeName == "true or false")
        #expect(try Self.parse("null").isNull)
        for text in ["tru", "nul", "True", "nulll", "falsey"] {
            #expect(Self.refusal(text) != nil, "\(text)")
        }
    }

    @Test func stringsDecodeEscapesAndSurrogatePairs() throws {
        guard case .string(let text) = try Self.parse(#""a\"b\\c\/d\u00e9\ud83d\ude00\u0000""#).kind else {
            Issue.record("not a string")
            return
        }
        #expect(Array(text.utf8) == Array("a\"b\\c/dé😀".utf8) + [0])
    }

    @Test func stringsRefuseWhatJSONDoesNotAllow() {
        let cases: [(String, String)] = [
            ("\"a\nb\"", "a string holds a line break; write it escaped (\\n, \\t, \\u00XX)"),
            ("\"a\tb\"", "a string holds a tab; write it escaped (\\n, \\t, \\u00XX)"),
            ("\"a\u{01}b\"", "a string holds control character 0x01; write it escaped (\\n, \\t, \\u00XX)"),
            (#""\ud800""#, "\\ud800 is an unpaired surrogate"),
            (#""\udc00""#, "\\udc00 is an unpaired surrogate"),
            (#""\ud800\u0041""#, "\\ud800 is an unpaired surrogate"),
            (#""\x41""#, "\\x is not a JSON escape"),
            (#""\u12""#, "\\u needs four hex digits"),
            (#""open"#, "a string is not closed"),
            (#""a\"#, "a string ends inside an escape"),
        ]
        for (text, message) in cases {
            #expect(Self.refusal(text)?.message == message, "\(text)")
        }
    }

    @Test func bytesThatAreNotUTF8AreRefused() {
        let invalid: [[UInt8]] = [
            [0xFF],
            [0xC0, 0x80],  // overlong NUL
            [0xED, 0xA0, 0x80],  // a surrogate encoded directly (CESU-8)
            [0xE2, 0x82],  // cut short
        ]
        for bytes in invalid {
            let error = Self.refusal([0x22] + bytes + [0x22])
            #expect(error?.message == "a string holds bytes that are not UTF-8", "\(bytes)")
        }
        // Outside strings, a byte that is not JSON is named, including a byte-order mark.
        #expect(Self.refusal([0xEF, 0xBB, 0xBF] + Array("{}".utf8))?.message == "unexpected byte 0xef where a value was expected")
    }

    @Test func objectsKeepEveryMemberInOrderRepeatedNamesIncluded() throws {
        guard case .object(let members) = try Self.parse(#"{"b":1,"a":2,"b":3}"#).kind else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.name) == ["b", "a", "b"])
    }

    @Test func structuralErrorsAreRefused() {
        let cases: [(String, String)] = [
            ("[1,]", "unexpected ']' where a value was expected"),
            ("[1 2]", "expected ',' or ']' after an array element, found '2'"),
            (#"{"a" 1}"#, "expected ':' after a member name, found '1'"),
            (#"{"a":1,}"#, "expected a member name in quotes, found '}'"),
            ("{'a':1}", "expected a member name in quotes, found '''"),
            (#"{"a":1"#, "the text ends inside an object"),
            ("[", "the text ends where a value was expected"),
            ("", "no JSON value (the text is empty)"),
            ("   ", "no JSON value (the text is empty)"),
            ("1 2", "unexpected '2' after the JSON value; exactly one value is allowed"),
            ("/* c */ 1", "unexpected '/' where a value was expected"),
        ]
        for (text, message) in cases {
            #expect(Self.refusal(text)?.message == message, "\(text)")
        }
    }

    @Test func depthIsBoundedAt512() throws {
        let limit = RawJSONParser.maxDepth
        _ = try Self.parse(String(repeating: "[", count: limit) + String(repeating: "]", count: limit))
        _ = try Self.parse(String(repeating: #"{"a":"#, count: limit - 1) + "[]" + String(repeating: "}", count: limit - 1))
        let error = Self.refusal(String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1))
        #expect(error?.offset == limit)
        #expect(error?.message == "arrays and objects are nested deeper than 512 levels")
    }

    /// The REST Proxy forwards `body[range]`: the range must be exactly the value's text.
    @Test func rangesCoverExactlyEachValuesText() throws {
        let text = #" { "n" : 123456789012345678901234567890 , "f":1.10, "s":"\u00e9", "o":{ "x" : [ 1 , 2 ] } } "#
        let bytes = Array(text.utf8)
        let document = try RawJSONParser.parse(bytes)
        #expect(String(decoding: bytes[document.range], as: UTF8.self) == text.trimmingCharacters(in: .whitespaces))
        guard case .object(let members) = document.kind else {
            Issue.record("not an object")
            return
        }
        let texts = members.map { String(decoding: bytes[$0.value.range], as: UTF8.self) }
        #expect(texts == ["123456789012345678901234567890", "1.10", #""\u00e9""#, #"{ "x" : [ 1 , 2 ] }"#])
    }

    /// An NDJSON line is parsed as a slice: offsets count from the line's start.
    @Test func aSliceIsParsedWithOffsetsFromItsStart() throws {
        let bytes = Array("xx[1, 2]yy".utf8)
        let value = try RawJSONParser.parse(bytes[2..<8])
        #expect(value.range == 0..<6)
        do {
            _ = try RawJSONParser.parse(bytes[2..<10])
            Issue.record("trailing bytes taken")
        } catch {
            #expect(error.offset == 6)
            #expect(error.atColumn == "malformed JSON at column 7: unexpected 'y' after the JSON value; exactly one value is allowed")
        }
    }

    @Test func errorsAreLocatedByLineAndColumn() {
        let text = "{\n  \"a\": 1,\n  \"b\": tru\n}"
        let error = Self.refusal(text)
        #expect(error?.located(in: Array(text.utf8)) == "malformed JSON at line 3, column 8: unexpected 't' where a value was expected")
    }

    @Test(arguments: [
        ("1e308", false), ("-1.7976931348623157e308", false), ("1e309", true), ("-1e400", true), ("1e-400", false),
        ("1" + String(repeating: "0", count: 308), false), ("1" + String(repeating: "0", count: 309), true),
        ("12345678901234567890", false),
    ])
    func numbersBeyondAFloatsRangeAreFound(text: String, outOfRange: Bool) throws {
        let number = try Self.parse(text)
        #expect(number.isOutOfFloatRange == outOfRange, "\(text.prefix(20))…")
        let nested = try Self.parse(#"{"a":[true,{"b":\#(text)}]}"#)
        #expect(nested.firstOutOfRangeNumber == (outOfRange ? text : nil))
    }
}
