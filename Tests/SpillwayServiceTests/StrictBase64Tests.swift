import Foundation
import SpillwayService
import Testing

/// RFC 4648 §4 base64, strictly: every canonical encoding decodes to its bytes,
/// and nothing else decodes at all.
@Suite struct StrictBase64Tests {
    static func refusal(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        do {
            let bytes = try StrictBase64.decode(text)
            Issue.record("\(text) decoded to \(bytes)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func canonicalEncodingsOfEveryLengthRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        for length in 0...200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Data(bytes).base64EncodedString()
            #expect(try StrictBase64.decode(encoded) == bytes, "\(encoded)")
        }
        #expect(try StrictBase64.decode("") == [])
        #expect(try StrictBase64.decode("QQ==") == Array("A".utf8))
        #expect(try StrictBase64.decode("QUI=") == Array("AB".utf8))
        #expect(try StrictBase64.decode("QUJD") == Array("ABC".utf8))
        #expect(try StrictBase64.decode("+/+/") == [0xFB, 0xFF, 0xBF])
    }

    @Test(arguments: [
        ("QUJD=", "is not valid base64: its length, 5, is not a multiple of 4"),
        ("QUJD==", "is not valid base64: its length, 6, is not a multiple of 4"),
        ("QQ", "is not valid base64: its length, 2, is not a multiple of 4"),
        ("====", "is not valid base64: '=' may only pad the end, at most twice (at character 1)"),
        ("Q===", "is not valid base64: '=' may only pad the end, at most twice (at character 2)"),
        ("QQ=A", "is not valid base64: '=' may only pad the end, at most twice (at character 3)"),
        ("QUJDQQ==QUJD", "is not valid base64: '=' may only pad the end, at most twice (at character 7)"),
        ("-_-_", "is not valid base64: '-' is not in the standard base64 alphabet (A-Z a-z 0-9 + /) (at character 1)"),
        ("QU_D", "is not valid base64: '_' is not in the standard base64 alphabet (A-Z a-z 0-9 + /) (at character 3)"),
        ("QU D", "is not valid base64: byte 0x20 is not in the standard base64 alphabet (A-Z a-z 0-9 + /) (at character 3)"),
        ("QUJD\nQUJD", "is not valid base64: its length, 9, is not a multiple of 4"),
        ("QUJ\nQUJD", "is not valid base64: byte 0xa is not in the standard base64 alphabet (A-Z a-z 0-9 + /) (at character 4)"),
        ("QR==", "is not valid base64: its last character sets bits that no byte uses (not the canonical encoding)"),
        ("QUJ=", "is not valid base64: its last character sets bits that no byte uses (not the canonical encoding)"),
    ])
    func nonCanonicalInputIsRefusedSayingWhy(text: String, message: String) {
        #expect(Self.refusal(text) == message, "\(text)")
    }

    /// Text Foundation's lenient decoder turns into bytes nobody sent.
    @Test func whatFoundationWouldInventIsRefused() {
        for text in ["====", "QUJD=", "QUJD==", "QR==", "QUJ="] {
            #expect(Self.refusal(text) != nil, "\(text)")
        }
    }

    @Test func nonASCIITextIsRefusedNotDecoded() {
        #expect(Self.refusal("QUJé") == "is not valid base64: its length, 5, is not a multiple of 4")
        #expect(Self.refusal("Qé=") == "is not valid base64: byte 0xc3 is not in the standard base64 alphabet (A-Z a-z 0-9 + /) (at character 2)")
    }
}
