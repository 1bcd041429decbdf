/// Where and why a text is not JSON, for a client fixing its request.
package struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset of the problem within the parsed input.
    package var offset: Int
    package var message: String

    package var description: String { message }

    /// "malformed JSON at line 2, column 5: …", counting lines and columns of `input`.
    package func located(in input: some Collection<UInt8>) -> String {
        var line = 1
        var column = 1
        for byte in input.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return "malformed JSON at line \(line), column \(column): \(message)"
    }

    /// "malformed JSON at column 5: …", for input that is one line.
    package var atColumn: String {
        "malformed JSON at column \(offset + 1): \(message)"
    }
}
