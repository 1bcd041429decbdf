import Foundation
import Spillway
import SpillwayService
import SpillwaySpool
import Testing

/// The body of `POST /v1/topics/{topic}/records`, decoded without a server:
/// JSON, NDJSON, every field and encoding, and every refusal.
@Suite struct NativeBatchTests {
    static let json = "application/json"
    static let ndjson = "application/x-ndjson"

    typealias Item = Result<OutgoingRecord, IngestRejection>

    static func decode(_ body: String, _ mediaType: String? = json) throws(IngestError) -> [Item] {
        try NativeBatch.decode(Array(body.utf8), topic: "events", mediaType: mediaType)
    }

    /// The records of a body every record of which is taken; a recorded issue otherwise.
    static func records(_ body: String, _ mediaType: String? = json, sourceLocation: SourceLocation = #_sourceLocation) -> [OutgoingRecord] {
        do {
            let items = try decode(body, mediaType)
            return items.compactMap { item in
                switch item {
                case .success(let record): return record
                case .failure(let rejection):
                    Issue.record("rejected: \(rejection.reason)", sourceLocation: sourceLocation)
                    return nil
                }
            }
        } catch {
            Issue.record("refused: \(error)", sourceLocation: sourceLocation)
            return []
        }
    }

    /// The refusal of a whole body; a recorded issue when it was not refused.
    static func refusal(_ body: String, _ mediaType: String? = json, sourceLocation: SourceLocation = #_sourceLocation) -> IngestError? {
        do {
            let items = try decode(body, mediaType)
            Issue.record("not refused: \(items)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    /// The refusal's message, checking that it is a 400.
    static func malformed(_ body: String, _ mediaType: String? = json, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        guard let error = refusal(body, mediaType, sourceLocation: sourceLocation) else { return "" }
        #expect(error.status == .badRequest, "\(error)", sourceLocation: sourceLocation)
        return error.message
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Why an item was refused; `nil` for a taken one.
    static func reason(_ item: Item) -> String? {
        guard case .failure(let rejection) = item else { return nil }
        return rejection.reason
    }

    // MARK: Shapes of a body

    @Test func anArrayIsABatchInOrder() {
        let records = Self.records(#"[{"value":"a"},{"value":"b"},{"value":"c"}]"#)
        #expect(records == ["a", "b", "c"].map { OutgoingRecord(topic: "events", value: Self.bytes($0)) })
    }

    @Test func aSingleObjectIsABatchOfOne() {
        #expect(Self.records(#"{"value":"only"}"#) == [OutgoingRecord(topic: "events", value: Self.bytes("only"))])
    }

    /// `"value": null` is Kafka's NULL value and a header's `null` its NULL header
    /// value, apart from empty ones; a record must still give its value.
    @Test func nullIsKafkasNullAndEmptyIsEmpty() {
        let records = Self.records(#"""
            [{"key":"gone","value":null,"headers":{"n":null,"e":""}},
             {"value":"","headers":[{"name":"n","value":null},{"name":"e","value":""},{"name":"b","value":"AQ==","encoding":"base64"}]},
             {"value":null,"value_encoding":"base64"}]
            """#)
        #expect(records == [
            OutgoingRecord(topic: "events", key: Self.bytes("gone"), value: nil, headers: [RecordHeader(name: "n", value: nil), RecordHeader(name: "e", value: [])]),
            OutgoingRecord(topic: "events", value: [], headers: [RecordHeader(name: "n", value: nil), RecordHeader(name: "e", value: []), RecordHeader(name: "b", value: [1])]),
            OutgoingRecord(topic: "events", value: nil),
        ])
        #expect(records.map { $0.value == nil } == [true, false, true])
        #expect(Self.malformed(#"{"key":"k"}"#) == "the record: missing field \"value\"", "a forgotten value is not a tombstone")
        #expect(Self.malformed(#"{"value":"v","headers":[{"name":"n"}]}"#) == "the record: headers[0]: missing field \"value\"")
        #expect(Self.malformed(#"{"value":"v","headers":{"n":1}}"#) == "the record: headers.n: expected a string or null, found a number")
    }

    @Test func jsonIsOneValueWhateverItsLineBreaks() {
        let pretty = "[\n  {\n    \"value\": \"a\"\n  },\r\n  {\"value\": \"b\"}\n]\n"
        #expect(Self.records(pretty).map(\.value) == [Self.bytes("a"), Self.bytes("b")])
        // Two values are not one, and the error says where the second starts.
        let message = Self.malformed("{\"value\":\"a\"}\n{\"value\":\"b\"}")
        #expect(message.hasPrefix("malformed JSON at line 2, column 1:"), "\(message)")
    }

    @Test func anEmptyBatchOrAnotherValueIsRefused() {
        #expect(Self.malformed("[]") == "the batch holds no records")
        #expect(Self.malformed("\n\r\n  \n", Self.ndjson) == "the batch holds no records")
        #expect(Self.malformed(#""value""#) == "expected an array of records or one record object, found a string")
        #expect(Self.malformed("42") == "expected an array of records or one record object, found a number")
        #expect(Self.malformed("").hasPrefix("malformed JSON at line 1, column 1: no JSON value"))
    }

    // MARK: NDJSON

    @Test func ndjsonIsOneRecordPerLineSkippingBlankLinesAndTakingCRLF() {
        let body = "{\"value\":\"a\"}\r\n\n   \t\n{\"value\":\"b\"}\r\n{\"value\":\"c\"}"
        #expect(Self.records(body, Self.ndjson).map(\.value) == ["a", "b", "c"].map(Self.bytes))
    }

    @Test func ndjsonErrorsNameTheLineCountingBlankOnes() {
        let syntax = Self.malformed("{\"value\":\"a\"}\n\n{\"value\":\"b\",}\n", Self.ndjson)
        #expect(syntax.hasPrefix("line 3: malformed JSON at column 14:"), "\(syntax)")
        let shape = Self.malformed("{\"value\":\"a\"}\r\n{\"key\":\"k\"}\r\n", Self.ndjson)
        #expect(shape == "line 2: missing field \"value\"")
        let notAnObject = Self.malformed("[{\"value\":\"a\"}]\n", Self.ndjson)
        #expect(notAnObject == "line 1: expected a record object, found an array")
    }

    @Test func ndjsonTakesExactlyOneValuePerLine() {
        // A raw line break inside a string splits it: neither half is JSON.
        #expect(Self.malformed("{\"value\":\"a\nb\"}", Self.ndjson).hasPrefix("line 1:"))
        // Two values on one line are not two records.
        #expect(Self.malformed(#"{"value":"a"} {"value":"b"}"#, Self.ndjson).hasPrefix("line 1: malformed JSON at column 15: unexpected '{' after the JSON value"))
        // An escaped line break is a line break, kept.
        #expect(Self.records(#"{"value":"a\nb"}"#, Self.ndjson).map(\.value) == [Self.bytes("a\nb")])
    }

    @Test func withoutAContentTypeOneJSONValueIsJSONAndAnythingElseNDJSON() {
        #expect(Self.records(#"[{"value":"a"},{"value":"b"}]"#, nil).count == 2)
        #expect(Self.records("{\"value\":\"a\"}\n{\"value\":\"b\"}\n", nil).map(\.value) == [Self.bytes("a"), Self.bytes("b")])
        // Neither: read as NDJSON, so the error names the line.
        #expect(Self.malformed("{\"value\":\"a\"}\n{oops}\n", nil).hasPrefix("line 2: malformed JSON at column 2:"))
    }

    // MARK: Fields and encodings

    @Test func everyFieldIsRead() {
        let body = #"{"key":"user-1","value":"{\"n\":1}","headers":{"source":"web","trace":"abc"},"partition":3}"#
        #expect(Self.records(body) == [OutgoingRecord(
            topic: "events", key: Self.bytes("user-1"), value: Self.bytes(#"{"n":1}"#),
            headers: [RecordHeader(name: "source", value: Self.bytes("web")), RecordHeader(name: "trace", value: Self.bytes("abc"))],
            partition: 3
        )])
    }

    @Test func base64KeysValuesAndHeadersAreDecodedExactly() {
        let all = [UInt8](0...255)
        let encoded = Data(all).base64EncodedString()
        let body = """
            {"key":"\(encoded)","key_encoding":"base64","value":"\(encoded)","value_encoding":"base64",
             "headers":[{"name":"bin","value":"\(encoded)","encoding":"base64"},{"name":"text","value":"QUJD","encoding":"utf8"}]}
            """
        let record = Self.records(body).first
        #expect(record?.key == all)
        #expect(record?.value == all)
        #expect(record?.headers == [RecordHeader(name: "bin", value: all), RecordHeader(name: "text", value: Self.bytes("QUJD"))])
    }

    @Test func utf8IsTheDefaultEncodingAndNullMeansAbsent() {
        let records = Self.records(#"[{"value":"QUJD","value_encoding":"utf8"},{"value":"QUJD","value_encoding":null,"key":null,"headers":null,"partition":null}]"#)
        #expect(records == [OutgoingRecord(topic: "events", value: Self.bytes("QUJD")), OutgoingRecord(topic: "events", value: Self.bytes("QUJD"))])
    }

    @Test func valuesAreKeptByteForByte() {
        let cases: [(json: String, bytes: [UInt8])] = [
            (#""""#, []),
            (#""a\u0000b""#, [0x61, 0x00, 0x62]),
            (#""é""#, [0xC3, 0xA9]),
            (#""\u00e9""#, [0xC3, 0xA9]),
            (#""\ud83d\ude00""#, [0xF0, 0x9F, 0x98, 0x80]),
            (#""\/\\\"\b\f\n\r\t""#, [0x2F, 0x5C, 0x22, 0x08, 0x0C, 0x0A, 0x0D, 0x09]),
            (#""  spaces kept  ""#, Self.bytes("  spaces kept  ")),
        ]
        for (json, bytes) in cases {
            #expect(Self.records(#"{"value":\#(json)}"#).first?.value == bytes, "\(json)")
        }
    }

    @Test func headersAsAListKeepOrderAndRepeatedNames() {
        let body = #"{"value":"v","headers":[{"name":"b","value":"1"},{"name":"a","value":"2"},{"name":"b","value":"3"}]}"#
        #expect(Self.records(body).first?.headers == [
            RecordHeader(name: "b", value: Self.bytes("1")), RecordHeader(name: "a", value: Self.bytes("2")), RecordHeader(name: "b", value: Self.bytes("3")),
        ])
        #expect(Self.records(#"{"value":"v","headers":{}}"#).first?.headers == [])
        #expect(Self.records(#"{"value":"v","headers":[]}"#).first?.headers == [])
    }

    @Test(arguments: ["-1", "0", "7", "2147483647"])
    func partitionIsAnIntegerFromMinusOne(text: String) {
        #expect(Self.records(#"{"value":"v","partition":\#(text)}"#).first?.partition == Int32(text))
    }

    // MARK: Refusals of the whole request

    @Test func unknownAndRepeatedFieldsAreRefused() {
        let unknown = Self.malformed(#"[{"value":"v"},{"value":"v","partiton":1}]"#)
        #expect(unknown.hasPrefix(#"[1]: unknown field "partiton"; a record has "key", "key_encoding", "value", "value_encoding", "headers", "partition""#), "\(unknown)")
        // The topic is the path's, and spool fields are import's: neither is a batch field.
        #expect(Self.malformed(#"{"value":"v","topic":"other"}"#).hasPrefix(#"the record: unknown field "topic""#))
        #expect(Self.malformed(#"{"value":"v","id":1}"#).hasPrefix(#"the record: unknown field "id""#))
        #expect(Self.malformed(#"{"value":"a","value":"b"}"#) == #"the record: field "value" is given twice"#)
        #expect(Self.malformed(#"{"value":"a","key":"k","key":null}"#) == #"the record: field "key" is given twice"#)
    }

    @Test func aRecordWithoutAValueOrOfTheWrongTypeIsRefused() {
        #expect(Self.malformed(#"[{"key":"k"}]"#) == #"[0]: missing field "value""#)
        #expect(Self.records(#"[{"value":null}]"#).map(\.value) == [nil], "given, and null: a tombstone (nullIsKafkasNullAndEmptyIsEmpty)")
        #expect(Self.malformed(#"[{"value":5}]"#) == "[0]: value: expected a string, found a number")
        #expect(Self.malformed(#"[{"value":{"n":1}}]"#) == "[0]: value: expected a string, found an object")
        #expect(Self.malformed(#"[{"value":"v","key":true}]"#) == "[0]: key: expected a string, found true or false")
        #expect(Self.malformed(#"["v"]"#) == "[0]: expected a record object, found a string")
        #expect(Self.malformed(#"[{"value":"v","value_encoding":"hex"}]"#) == #"[0]: value_encoding: "hex" is not an encoding; use "utf8" or "base64""#)
    }

    @Test(arguments: ["1.0", "1e0", "\"1\"", "-2147483649", "2147483648", "99999999999999999999", "true"])
    func aPartitionThatIsNotAnInt32IsRefused(text: String) {
        let message = Self.malformed(#"{"value":"v","partition":\#(text)}"#)
        #expect(message == "the record: partition: expected an integer from -2147483648 to 2147483647", "\(text): \(message)")
    }

    @Test func malformedHeadersAreRefused() {
        let cases: [(String, String)] = [
            (#"{"a":"1","a":"2"}"#, #"headers: "a" is given twice; to send a header name more than once, list headers as [{"name", "value"}]"#),
            (#"{"a":1}"#, "headers.a: expected a string or null, found a number"),
            ("5", "headers: expected an object or an array, found a number"),
            (#"["a"]"#, #"headers[0]: expected {"name", "value", "encoding"?}, found a string"#),
            (#"[{"value":"1"}]"#, #"headers[0]: missing field "name""#),
            (#"[{"name":"a"}]"#, #"headers[0]: missing field "value""#),
            (#"[{"name":"a","value":"1","extra":0}]"#, #"headers[0]: unexpected field "extra"; a header has "name", "value" and "encoding""#),
            (#"[{"name":"a","value":"1","encoding":"hex"}]"#, #"headers[0].encoding: use "utf8" or "base64""#),
            (#"[{"name":7,"value":"1"}]"#, "headers[0].name: expected a string, found a number"),
        ]
        for (headers, expected) in cases {
            #expect(Self.malformed(#"{"value":"v","headers":\#(headers)}"#) == "the record: \(expected)", "\(headers)")
        }
    }

    /// A header's fields, like a record's, are given once: a second `encoding`
    /// must not silently decide how the value is read.
    @Test func aHeaderFieldGivenTwiceIsRefused() {
        for header in [
            #"{"name":"a","name":"b","value":"1"}"#,
            #"{"name":"a","value":"1","value":"2"}"#,
            #"{"name":"a","value":"QUJD","encoding":"utf8","encoding":"base64"}"#,
        ] {
            let message = Self.malformed(#"{"value":"v","headers":[\#(header)]}"#)
            #expect(message.hasPrefix("the record: headers[0]: "), "\(header): \(message)")
            #expect(message.contains("given twice"), "\(header): \(message)")
        }
    }

    @Test func syntaxErrorsAreRefusedWithTheirPlace() {
        #expect(Self.malformed("[{\"value\":\"v\"},\n {\"value\":\"v\",}]") == "malformed JSON at line 2, column 15: expected a member name in quotes, found '}'")
        #expect(Self.malformed(#"[{"value":"v"}"#) == "malformed JSON at line 1, column 15: the text ends inside an array")
        #expect(Self.malformed(#"{"value":"v"} // comment"#).contains("exactly one value is allowed"))
    }

    @Test func nestingIsBoundedWithoutCrashing() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(Self.malformed(deep) == "malformed JSON at line 1, column 513: arrays and objects are nested deeper than 512 levels")
        #expect(Self.malformed(deep, Self.ndjson) == "line 1: malformed JSON at column 513: arrays and objects are nested deeper than 512 levels")
        // Inside a record: nested headers are a shape error, however deep.
        let nested = #"{"value":"v","headers":{"a":"# + String(repeating: "[", count: 400) + String(repeating: "]", count: 400) + "}}"
        #expect(Self.malformed(nested) == "the record: headers.a: expected a string or null, found an array")
    }

    // MARK: Refusals of one record

    @Test func badBase64RefusesItsRecordAlone() throws {
        let items = try Self.decode(#"[{"value":"QUJD","value_encoding":"base64"},{"value":"QUJD=","value_encoding":"base64"},{"key":"-_8=","key_encoding":"base64","value":"v"}]"#)
        #expect(items.count == 3)
        #expect(try items[0].get() == OutgoingRecord(topic: "events", value: Self.bytes("ABC")))
        #expect(Self.reason(items[1]) == "value is not valid base64: its length, 5, is not a multiple of 4")
        #expect(Self.reason(items[2]) == "key is not valid base64: '-' is not in the standard base64 alphabet (A-Z a-z 0-9 + /) (at character 1)")
    }

    @Test func emptyOrNULHeaderNamesRefuseTheirRecordAlone() throws {
        let items = try Self.decode(#"[{"value":"v","headers":{"":"x"}},{"value":"v","headers":[{"name":"a\u0000b","value":"x"}]},{"value":"ok"}]"#)
        #expect(Self.reason(items[0]) == "a header has an empty name; Kafka headers need one")
        #expect(Self.reason(items[1]) == "a header name holds a NUL character (\\u0000), at which Kafka clients would cut it short")
        #expect(try items[2].get().value == Self.bytes("ok"))
    }

    @Test func badBase64InAHeaderNamesTheHeader() throws {
        let items = try Self.decode(#"{"value":"v","headers":[{"name":"sig","value":"Q","encoding":"base64"}]}"#)
        #expect(items.map(Self.reason) == ["header sig is not valid base64: its length, 1, is not a multiple of 4"])
    }
}
