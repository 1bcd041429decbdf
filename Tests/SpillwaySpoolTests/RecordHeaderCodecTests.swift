@testable import SpillwaySpool
import Testing

/// The spool's on-disk form of a header list: every list round-trips exactly,
/// the format stays what existing spools hold, and damaged bytes are refused
/// with an error, never a crash or headers nobody sent.
@Suite struct RecordHeaderCodecTests {
    static func roundTrip(_ headers: [RecordHeader], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let encoded = RecordHeaderCodec.encode(headers)
        #expect(try RecordHeaderCodec.decode(encoded) == headers, sourceLocation: sourceLocation)
    }

    static func refusal(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> RecordHeaderCodec.DecodingError? {
        do {
            let headers = try RecordHeaderCodec.decode(bytes)
            Issue.record("decoded \(bytes.prefix(20)) into \(headers)", sourceLocation: sourceLocation)
            return nil
        } catch let error as RecordHeaderCodec.DecodingError {
            return error
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    // MARK: Round trips

    @Test func noHeadersAreStoredAsNull() throws {
        #expect(RecordHeaderCodec.encode([]) == nil)
        #expect(try RecordHeaderCodec.decode(nil) == [])
        #expect(try RecordHeaderCodec.decode([]) == [])
    }

    @Test func headersRoundTripExactly() throws {
        try Self.roundTrip([RecordHeader(name: "trace", value: Array("abc".utf8))])
        // Order and repeated names are kept: Kafka headers are a list.
        try Self.roundTrip([
            RecordHeader(name: "b", value: [1]), RecordHeader(name: "a", value: [2]), RecordHeader(name: "b", value: [3]),
        ])
        // Empty values, every byte value, non-ASCII and NUL in names.
        try Self.roundTrip([
            RecordHeader(name: "empty", value: []),
            RecordHeader(name: "bytes", value: [UInt8](0...255)),
            RecordHeader(name: "naïve 名前 😀", value: [0xFF, 0x00, 0xC3]),
            RecordHeader(name: "a\u{0}b", value: [0]),
            RecordHeader(name: "", value: Array("nameless".utf8)),
        ])
    }

    @Test func manyHeadersRoundTrip() throws {
        let headers = (0..<5000).map { RecordHeader(name: "h\($0 % 37)", value: Array("value-\($0)".utf8)) }
        try Self.roundTrip(headers)
    }

    /// Lengths at each varint boundary: 1, 2 and 3 bytes, and a 1 MB value.
    @Test(arguments: [0, 1, 127, 128, 255, 16_383, 16_384, 65_536, 1_000_000])
    func longNamesAndValuesRoundTrip(length: Int) throws {
        let value = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let name = String(repeating: "n", count: min(length, 20_000))
        try Self.roundTrip([RecordHeader(name: name, value: value), RecordHeader(name: "after", value: [7])])
    }

    /// The format existing spools hold: name length, name, value length, value; LEB128 lengths.
    @Test func theStoredFormatIsStable() {
        #expect(RecordHeaderCodec.encode([RecordHeader(name: "a", value: [0x01])]) == [0x01, 0x61, 0x01, 0x01])
        #expect(RecordHeaderCodec.encode([RecordHeader(name: "", value: [])]) == [0x00, 0x00])
        let long = RecordHeaderCodec.encode([RecordHeader(name: "k", value: [UInt8](repeating: 0xAB, count: 300))])
        #expect(long?.prefix(4) == [0x01, 0x6B, 0xAC, 0x02])
        #expect(long?.count == 4 + 300)
        let huge = RecordHeaderCodec.encode([RecordHeader(name: "", value: [UInt8](repeating: 0, count: 2_097_152))])
        #expect(huge?.prefix(5) == [0x00, 0x80, 0x80, 0x80, 0x01])
    }

    // MARK: NULL header values

    @Test func nullHeaderValuesRoundTripApartFromEmptyOnes() throws {
        let headers = [
            RecordHeader(name: "null", value: nil), RecordHeader(name: "empty", value: []),
            RecordHeader(name: "bytes", value: [0x80, 0x00]), RecordHeader(name: "null", value: nil),
        ]
        let decoded = try RecordHeaderCodec.decode(RecordHeaderCodec.encode(headers))
        #expect(decoded == headers)
        #expect(decoded.map { $0.value == nil } == [true, false, false, true])
        try Self.roundTrip([RecordHeader(name: "", value: nil)])
        try Self.roundTrip([RecordHeader(name: String(repeating: "n", count: 200), value: nil), RecordHeader(name: "v", value: [UInt8](repeating: 7, count: 300))])
    }

    /// A list holding a NULL value starts with the marker and stores each value's
    /// length plus one (0 for NULL); a list without one is stored as before.
    @Test func theNullableFormIsMarkedAndUsedOnlyWhenNeeded() {
        #expect(RecordHeaderCodec.encode([RecordHeader(name: "a", value: nil)]) == [0x80, 0x00, 0x01, 0x61, 0x00])
        #expect(RecordHeaderCodec.encode([RecordHeader(name: "a", value: []), RecordHeader(name: "b", value: nil)]) == [0x80, 0x00, 0x01, 0x61, 0x01, 0x01, 0x62, 0x00])
        #expect(RecordHeaderCodec.encode([RecordHeader(name: "a", value: [0x09]), RecordHeader(name: "b", value: nil)]) == [0x80, 0x00, 0x01, 0x61, 0x02, 0x09, 0x01, 0x62, 0x00])
        let long = RecordHeaderCodec.encode([RecordHeader(name: "k", value: [UInt8](repeating: 0xAB, count: 300)), RecordHeader(name: "n", value: nil)])
        #expect(long?.prefix(6) == [0x80, 0x00, 0x01, 0x6B, 0xAD, 0x02], "301 = 300 bytes plus one")
        #expect(RecordHeaderCodec.encode([RecordHeader(name: "a", value: [])]) == [0x01, 0x61, 0x00], "no NULL: the first form, byte for byte")
    }

    /// Blobs earlier versions wrote, among them those whose first bytes come
    /// closest to the marker (a first name 128 bytes long begins `0x80 0x01`),
    /// decode as they always did.
    @Test func blobsWrittenBeforeNullValuesDecodeUnchanged() throws {
        let name128 = String(repeating: "n", count: 128)
        let blob: [UInt8] = [0x80, 0x01] + Array(name128.utf8) + [0x00, 0x00, 0x02, 0x68, 0x69]
        #expect(try RecordHeaderCodec.decode(blob) == [RecordHeader(name: name128, value: []), RecordHeader(name: "", value: Array("hi".utf8))])
        #expect(try RecordHeaderCodec.decode([0x00, 0x00]) == [RecordHeader(name: "", value: [])])
        #expect(try RecordHeaderCodec.decode([0x00, 0x00, 0x00, 0x00]) == [RecordHeader(name: "", value: []), RecordHeader(name: "", value: [])])
        #expect(try RecordHeaderCodec.decode([0x01, 0x61, 0x01, 0x01]) == [RecordHeader(name: "a", value: [0x01])])
        // Whatever the first form held, encoding it again gives the same bytes: no old list reads as the new form.
        for headers in [[RecordHeader(name: name128, value: [])], [RecordHeader(name: "", value: [0x80, 0x00])], [RecordHeader(name: "", value: [])]] {
            let encoded = try #require(RecordHeaderCodec.encode(headers))
            #expect(Array(encoded.prefix(2)) != RecordHeaderCodec.nullableMarker)
            #expect(try RecordHeaderCodec.decode(encoded) == headers)
        }
    }

    @Test func damagedNullableListsAreRefusedOrAWholePrefix() throws {
        #expect(Self.refusal([0x80, 0x00, 0x01, 0x61]) != nil, "a name without its value")
        #expect(Self.refusal([0x80, 0x00, 0x01, 0x61, 0x05, 0x01]) != nil, "a value longer than what is left")
        #expect(Self.refusal([0x80, 0x00, 0x02, 0xC3, 0x28, 0x00]) != nil, "a name that is not UTF-8")
        let headers = [
            RecordHeader(name: "first", value: nil), RecordHeader(name: "second", value: [UInt8](repeating: 2, count: 200)), RecordHeader(name: "third", value: []),
        ]
        let encoded = try #require(RecordHeaderCodec.encode(headers))
        for length in 1..<encoded.count {
            do {
                let decoded = try RecordHeaderCodec.decode(Array(encoded.prefix(length)))
                #expect(Array(headers.prefix(decoded.count)) == decoded, "cut at \(length)")
            } catch {
                #expect(error is RecordHeaderCodec.DecodingError, "cut at \(length): \(error)")
            }
        }
    }

    // MARK: Damaged input

    /// Cut anywhere, a stored list decodes to a whole prefix of its headers
    /// (a cut between two headers cannot be told apart) or is refused.
    @Test func truncatedInputIsRefusedOrAWholePrefix() throws {
        let headers = [
            RecordHeader(name: "first", value: [UInt8](repeating: 1, count: 200)),
            RecordHeader(name: "second", value: Array("two".utf8)),
            RecordHeader(name: "third", value: []),
        ]
        let encoded = try #require(RecordHeaderCodec.encode(headers))
        for length in 1..<encoded.count {
            do {
                let decoded = try RecordHeaderCodec.decode(Array(encoded.prefix(length)))
                #expect(Array(headers.prefix(decoded.count)) == decoded, "cut at \(length)")
            } catch {
                #expect(error is RecordHeaderCodec.DecodingError, "cut at \(length): \(error)")
            }
        }
    }

    @Test func lengthsBeyondTheInputAreRefused() {
        #expect(Self.refusal([0x05, 0x61]) != nil, "a name longer than what is left")
        #expect(Self.refusal([0x01, 0x61, 0x05, 0x01]) != nil, "a value longer than what is left")
        #expect(Self.refusal([0x01, 0x61]) != nil, "a name without its value")
    }

    @Test func varintsThatNeverEndOrOverflowAreRefused() {
        #expect(Self.refusal([0x80]) != nil)
        #expect(Self.refusal([0x80, 0x80, 0x80]) != nil)
        #expect(Self.refusal([UInt8](repeating: 0xFF, count: 10) + [0x01]) != nil, "beyond 64 bits")
        #expect(Self.refusal([UInt8](repeating: 0xFF, count: 9) + [0x01, 0x61]) != nil, "a length near 2^64")
        #expect(Self.refusal([UInt8](repeating: 0xFF, count: 64)) != nil)
    }

    /// Names are stored as UTF-8; bytes that are not must not come back as U+FFFD.
    @Test func aNameThatIsNotUTF8IsRefusedNotRepaired() {
        #expect(Self.refusal([0x01, 0xFF, 0x00]) != nil)
        #expect(Self.refusal([0x02, 0xC3, 0x28, 0x01, 0x41]) != nil)
    }

    @Test func theErrorSaysWhatIsWrongAndWhere() {
        let error = Self.refusal([0x01, 0x61, 0x01, 0x01, 0x09, 0x62])
        let message = error?.description ?? ""
        #expect(message.hasPrefix("stored record headers are malformed"), "\(message)")
        #expect(message.contains("header 2"), "\(message)")
        #expect(message.contains("9 bytes") && message.contains("1 remain"), "\(message)")
    }

    /// Random damage never crashes the decoder (a failing input is printed whole).
    @Test func randomBytesAreRefusedOrDecodedNeverACrash() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let count = Int.random(in: 0..<40, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let headers: [RecordHeader]
            do {
                headers = try RecordHeaderCodec.decode(bytes)
            } catch {
                #expect(error is RecordHeaderCodec.DecodingError, "\(bytes)")
                continue
            }
            // What decodes is a list that round-trips.
            #expect(try RecordHeaderCodec.decode(RecordHeaderCodec.encode(headers)) == headers, "\(bytes)")
        }
    }
}
