import Foundation
import Spillway
import SpillwayService
import Testing

/// Confluent REST Proxy v2 produce bodies, decoded without a server: content
/// types, byte-exact JSON, base64, nulls, and refusals with REST Proxy's codes.
@Suite struct RestProxyProduceTests {
    typealias Item = Result<OutgoingRecord, IngestRejection>

    static func decode(_ body: String, _ format: RestProxyProduce.Format = .json) throws(IngestError) -> [Item] {
        try RestProxyProduce.decode(Array(body.utf8), topic: "rp", format: format)
    }

    static func refusal(_ body: String, _ format: RestProxyProduce.Format = .json, sourceLocation: SourceLocation = #_sourceLocation) -> IngestError? {
        do {
            let items = try decode(body, format)
            Issue.record("not refused: \(items)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Why an item was refused; `nil` for a taken one.
    static func reason(_ item: Item) -> String? {
        guard case .failure(let rejection) = item else { return nil }
        return rejection.reason
    }

    // MARK: Content types

    @Test(arguments: [
        ("application/vnd.kafka.json.v2+json", "json"),
        ("application/vnd.kafka.binary.v2+json", "binary"),
        ("application/vnd.kafka.v2+json", "json"),
        ("application/json", "json"),
        ("Application/VND.Kafka.Binary.V2+JSON", "binary"),
        ("application/vnd.kafka.json.v2+json; charset=utf-8", "json"),
        (" application/vnd.kafka.binary.v2+json ;q=1", "binary"),
        ("application/vnd.kafka.avro.v2+json", nil),
        ("application/vnd.kafka.protobuf.v2+json", nil),
        ("application/vnd.kafka.json.v3+json", nil),
        ("text/plain", nil),
        ("", nil),
    ] as [(String, String?)])
    func theContentTypeNamesTheFormat(contentType: String, format: String?) {
        #expect(RestProxyProduce.format(contentType: contentType).map { "\($0)" } == format, "\(contentType)")
    }

    @Test func noContentTypeIsNoFormat() {
        #expect(RestProxyProduce.format(contentType: nil) == nil)
    }

    // MARK: The json format

    /// Kafka gets the exact text of each JSON value: digits, key order, spacing, escapes.
    @Test func jsonValuesGoToKafkaAsTheExactTextOfTheRequest() throws {
        let values = [
            #"{"n":123456789012345678901234567890,"f":1.10}"#,
            #"{ "b" : 1 ,  "a" : [ 2 , 3 ] }"#,
            #""caf\u00e9 \ud83d\ude00""#,
            "-0.0e-0",
            "[]",
            "true",
            "1e308",
        ]
        let body = #"{"records":["# + values.map { #"{"value":\#($0)}"# }.joined(separator: ",") + "]}"
        let items = try Self.decode(body)
        #expect(try items.map { try $0.get().value } == values.map(Self.bytes))
        #expect(try items.allSatisfy { try $0.get().topic == "rp" && $0.get().key == nil })
    }

    @Test func jsonKeysAreJSONTextToo() throws {
        let items = try Self.decode(#"{"records":[{"key":"user-1","value":{"a":1}},{"key":42,"value":"v"}]}"#)
        #expect(try items[0].get().key == Self.bytes(#""user-1""#))
        #expect(try items[0].get().value == Self.bytes(#"{"a":1}"#))
        #expect(try items[1].get().key == Self.bytes("42"))
        #expect(try items[1].get().value == Self.bytes(#""v""#))
    }

    /// As in REST Proxy v2, a null or missing value is Kafka's NULL (a tombstone); a null key is no key.
    @Test func nullsAreTombstonesAndNoKeys() throws {
        let items = try Self.decode(#"{"records":[{"value":null},{"key":null},{},{"value":null,"partition":null}]}"#)
        #expect(try items.map { try $0.get() } == Array(repeating: OutgoingRecord(topic: "rp", value: nil), count: 4))
        #expect(try items.allSatisfy { try $0.get().value == nil })
        // JSON text that is empty-ish is still a value, sent as its exact text.
        let values = try Self.decode(#"{"records":[{"value":""},{"value":[]},{"key":"k","value":"null"}]}"#)
        #expect(try values.map { try $0.get().value } == [Self.bytes(#""""#), Self.bytes("[]"), Self.bytes(#""null""#)])
    }

    @Test func aNumberBeyondAFloatsRangeRefusesItsRecordAlone() throws {
        let items = try Self.decode(#"{"records":[{"value":1e400},{"value":{"deep":[1,-1e999]}},{"key":1E309,"value":1},{"value":1e308}]}"#)
        #expect(items.count == 4)
        #expect(Self.reason(items[0]) == "value: the number 1e400 is out of range (beyond ±1.8e308, a 64-bit float's limit)")
        #expect(Self.reason(items[1]) == "value: the number -1e999 is out of range (beyond ±1.8e308, a 64-bit float's limit)")
        #expect(Self.reason(items[2]) == "key: the number 1E309 is out of range (beyond ±1.8e308, a 64-bit float's limit)")
        #expect(try items[3].get().value == Self.bytes("1e308"))
    }

    @Test func otherFieldsAreIgnoredAsRESTProxyDoes() throws {
        let items = try Self.decode(#"{"value_schema_id":7,"records":[{"value":1,"headers":"x","timestamp":0}],"key_schema":"s"}"#)
        #expect(try items.map { try $0.get().value } == [Self.bytes("1")])
    }

    @Test(arguments: [("-1", -1), ("0", 0), ("5", 5), ("2147483647", Int32.max)] as [(String, Int32)])
    func partitionIsRead(text: String, partition: Int32) throws {
        let items = try Self.decode(#"{"records":[{"value":1,"partition":\#(text)}]}"#)
        #expect(try items.first?.get().partition == partition)
    }

    // MARK: The binary format

    @Test func binaryKeysAndValuesAreStrictBase64() throws {
        let all = [UInt8](0...255)
        let encoded = Data(all).base64EncodedString()
        let items = try Self.decode(#"{"records":[{"key":"a2V5","value":"\#(encoded)"},{"value":""},{"value":null}]}"#, .binary)
        #expect(try items[0].get() == OutgoingRecord(topic: "rp", key: Self.bytes("key"), value: all))
        #expect(try items[1].get().value == [], "an empty string is an empty value")
        #expect(try items[2].get().value == nil, "null is a tombstone")
    }

    @Test func badBinaryRefusesItsRecordAlone() throws {
        let items = try Self.decode(#"{"records":[{"value":"QUJD="},{"value":{"a":1}},{"key":7,"value":"QQ=="},{"value":"QQ=="}]}"#, .binary)
        #expect(Self.reason(items[0]) == "value is not valid base64: its length, 5, is not a multiple of 4")
        #expect(Self.reason(items[1]) == "value must be a base64 string in the binary format, not an object")
        #expect(Self.reason(items[2]) == "key must be a base64 string in the binary format, not a number")
        #expect(try items[3].get().value == Self.bytes("A"))
    }

    // MARK: Refusals of the whole request: 400 with REST Proxy's 40001

    @Test(arguments: [
        ("[]", "body: expected an object, found an array"),
        ("{}", "missing field \"records\""),
        (#"{"records":{}}"#, "records: expected an array, found an object"),
        (#"{"records":[]}"#, "\"records\" is empty"),
        (#"{"records":[1]}"#, "records[0]: expected an object, found a number"),
        (#"{"records":[{"value":1}],"records":[]}"#, "body: field \"records\" is given twice"),
        (#"{"records":[{"value":1},{"value":1,"value":2}]}"#, "records[1]: field \"value\" is given twice"),
        (#"{"records":[{"value":1,"partition":"1"}]}"#, "records[0].partition: expected an integer from -1 to 2147483647"),
        (#"{"records":[{"value":1,"partition":1.0}]}"#, "records[0].partition: expected an integer from -1 to 2147483647"),
        (#"{"records":[{"value":1,"partition":2147483648}]}"#, "records[0].partition: expected an integer from -1 to 2147483647"),
        (#"{"records":[{"value":01}]}"#, "malformed JSON at line 1, column 23: numbers have no leading zeros"),
        ("{\"records\":\n[{\"value\":NaN}]}", "malformed JSON at line 2, column 11: unexpected 'N' where a value was expected"),
    ])
    func malformedBodiesAreRefusedSayingWhere(body: String, message: String) {
        let error = Self.refusal(body)
        #expect(error?.message == message, "\(body)")
        #expect(error?.status == .badRequest)
        #expect(error?.restProxyCode == 40001)
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let body = #"{"records":[{"value":"# + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}]}"
        let error = Self.refusal(body)
        #expect(error?.message.hasSuffix("arrays and objects are nested deeper than 512 levels") == true, "\(String(describing: error))")
        #expect(error?.restProxyCode == 40001)
    }
}
