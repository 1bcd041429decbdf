/// Shows bytes to a person: text when they are printable UTF-8, hex otherwise.
enum BytePreview {
    /// One line, cut at `limit` characters.
    static func short(_ bytes: [UInt8], limit: Int) -> String {
        if let text = String(validating: bytes, as: UTF8.self), !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
        }
        let hexLimit = max(1, (limit - 3) / 2)
        let hex = bytes.prefix(hexLimit).map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined()
        return "0x" + hex + (bytes.count > hexLimit ? "…" : "")
    }

    /// `hexdump -C` style: offset, 16 bytes in hex, then the printable ones.
    static func hexDump(_ bytes: [UInt8]) -> String {
        var output = ""
        var offset = 0
        while offset < bytes.count {
            let line = bytes[offset..<min(offset + 16, bytes.count)]
            let address = String(offset, radix: 16)
            output += String(repeating: "0", count: max(0, 8 - address.count)) + address + "  "
            for (index, byte) in line.enumerated() {
                let digits = String(byte, radix: 16)
                output += (byte < 16 ? "0" : "") + digits + (index == 7 ? "  " : " ")
            }
            output += String(repeating: " ", count: (16 - line.count) * 3 + (line.count <= 7 ? 1 : 0))
            output += " |" + String(line.map { (0x20..<0x7F).contains($0) ? Character(UnicodeScalar($0)) : "." }) + "|\n"
            offset += 16
        }
        return output
    }
}
