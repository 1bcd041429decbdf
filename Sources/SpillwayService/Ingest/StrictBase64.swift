/// Base64 as RFC 4648 §4 defines it, strictly: the standard alphabet, a length
/// that is a multiple of 4, at most two `=` and only at the end, and unused bits
/// zero. Foundation's decoder takes `====` as a NUL byte and `QUJD=` as `ABC`;
/// bytes Spillway was not given must never be invented, so this refuses them.
package enum StrictBase64 {
    package struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        package var description: String
    }

    package static func decode(_ text: String) throws(Problem) -> [UInt8] {
        var utf8 = Array(text.utf8)
        return try decode(&utf8)
    }

    private static func decode(_ input: inout [UInt8]) throws(Problem) -> [UInt8] {
        guard input.count % 4 == 0 else {
            throw Problem(description: "is not valid base64: its length, \(input.count), is not a multiple of 4")
        }
        var padding = 0
        while padding < 2, padding < input.count, input[input.count - 1 - padding] == UInt8(ascii: "=") { padding += 1 }
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 4 * 3)
        var accumulator: UInt32 = 0
        let dataCount = input.count - padding
        for position in 0..<dataCount {
            guard let sextet = value(of: input[position]) else {
                let byte = input[position]
                let what = byte == UInt8(ascii: "=") ? "'=' may only pad the end, at most twice" :
                    byte >= 0x21 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))' is not in the standard base64 alphabet (A-Z a-z 0-9 + /)" :
                    "byte 0x\(String(byte, radix: 16)) is not in the standard base64 alphabet (A-Z a-z 0-9 + /)"
                throw Problem(description: "is not valid base64: \(what) (at character \(position + 1))")
            }
            accumulator = accumulator << 6 | UInt32(sextet)
            if position % 4 == 3 {
                output.append(UInt8(truncatingIfNeeded: accumulator >> 16))
                output.append(UInt8(truncatingIfNeeded: accumulator >> 8))
                output.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator = 0
            }
        }
        switch padding {
        case 1:
            // Three characters: 18 bits for 2 bytes; the last 2 must be zero.
            guard accumulator & 0x3 == 0 else { throw nonCanonical }
            output.append(UInt8(truncatingIfNeeded: accumulator >> 10))
            output.append(UInt8(truncatingIfNeeded: accumulator >> 2))
        case 2:
            // Two characters: 12 bits for 1 byte; the last 4 must be zero.
            guard dataCount % 4 == 2 else { throw Problem(description: "is not valid base64: '=' may only pad the end, at most twice") }
            guard accumulator & 0xF == 0 else { throw nonCanonical }
            output.append(UInt8(truncatingIfNeeded: accumulator >> 4))
        default:
            break
        }
        return output
    }

    private static let nonCanonical = Problem(description: "is not valid base64: its last character sets bits that no byte uses (not the canonical encoding)")

    private static func value(of byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
