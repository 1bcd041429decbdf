/// One ingest request as the fuzzer sends it, and as a corpus file holds it:
///
///     POST /v1/topics/nl/records
///     Content-Type: application/x-ndjson
///     X-Spillway-Key: k\xff
///
///     {"value":"a
///     b"}
///
/// A request line, header lines (`\xHH` writes any byte), a blank line, then the
/// body's exact bytes to the end of the file.
struct FuzzRequest: Sendable {
    var path: String
    var headers: [(name: String, value: [UInt8])]
    var body: [UInt8]

    var contentType: String? {
        headers.first { $0.name.lowercased() == "content-type" }.map { String(decoding: $0.value, as: UTF8.self) }
    }

    /// The route, named for the oracles: what answer shape to expect.
    enum Route { case single, batch, restProxy, other }

    var route: Route {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 4, parts[1] == "v1", parts[2] == "topics" { return .single }
        if parts.count == 5, parts[1] == "v1", parts[2] == "topics", parts[4] == "records" { return .batch }
        if parts.count == 3, parts[1] == "topics" { return .restProxy }
        return .other
    }

    /// The topic segment of the path ("" when the route has none).
    var topic: String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        switch route {
        case .single, .batch: return String(parts[3])
        case .restProxy: return String(parts[2])
        case .other: return ""
        }
    }

    init(path: String, headers: [(name: String, value: [UInt8])], body: [UInt8]) {
        self.path = path
        self.headers = headers
        self.body = body
    }

    /// Parses a corpus file; `nil` when it does not start with `POST /path`.
    init?(file bytes: [UInt8]) {
        var index = 0
        func line() -> [UInt8]? {
            guard index < bytes.count else { return nil }
            let end = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            let text = Array(bytes[index..<end])
            index = min(bytes.count, end + 1)
            return text.last == UInt8(ascii: "\r") ? Array(text.dropLast()) : text
        }
        guard let request = line(), request.starts(with: Array("POST /".utf8)) else { return nil }
        path = String(decoding: request.dropFirst(5), as: UTF8.self)
        headers = []
        while let header = line(), !header.isEmpty {
            guard let colon = header.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            let name = String(decoding: header[..<colon], as: UTF8.self)
            var value = Array(header[(colon + 1)...])
            while value.first == UInt8(ascii: " ") { value.removeFirst() }
            headers.append((name, Self.unescape(value)))
        }
        body = Array(bytes[index...])
    }

    /// `\xHH` to the byte HH; everything else as is.
    static func unescape(_ text: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while index < text.count {
            if text[index] == UInt8(ascii: "\\"), index + 3 < text.count + 0, text[index + 1] == UInt8(ascii: "x"),
               let byte = UInt8(String(decoding: text[(index + 2)..<(index + 4)], as: UTF8.self), radix: 16) {
                output.append(byte)
                index += 4
            } else {
                output.append(text[index])
                index += 1
            }
        }
        return output
    }

    /// The request as a corpus file, to reproduce a failure.
    var fileText: [UInt8] {
        var text = Array("POST \(path)\n".utf8)
        for header in headers {
            text += Array("\(header.name): ".utf8)
            for byte in header.value {
                if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") {
                    text.append(byte)
                } else {
                    text += Array("\\x\(byte < 16 ? "0" : "")\(String(byte, radix: 16))".utf8)
                }
            }
            text.append(UInt8(ascii: "\n"))
        }
        return text + [UInt8(ascii: "\n")] + body
    }
}
