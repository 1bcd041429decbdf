/// Seeded mutations of corpus requests: byte edits, JSON-aware insertions, splices
/// of other inputs, and changes of route, topic, content type and headers.
struct Mutator: Sendable {
    let corpus: [FuzzRequest]
    var random: FuzzRandom

    /// Tokens that reach the decoders' corners: escapes, surrogates, padding,
    /// numbers at the edges, field names, line breaks, bytes that are not UTF-8.
    static let dictionary: [[UInt8]] = [
        "\"", "\\", "\\n", "\n", "\r\n", "{", "}", "[", "]", ",", ":", " ", "\t", "null", "true", "false",
        "0", "-0", "-1", "-2", "1e400", "-1e400", "1e-400", "1.10", "123456789012345678901234567890", "2147483648", "-2147483649",
        "\"value\"", "\"key\"", "\"headers\"", "\"partition\"", "\"topic\"", "\"records\"", "\"id\"", "\"created_at_ms\"",
        "\"value_encoding\":\"base64\"", "\"key_encoding\":\"base64\"", "\"encoding\":\"base64\"", "\"name\"",
        "\"====\"", "\"QUJD=\"", "\"QUJD==\"", "\"QUJDQQ===\"", "\"QUJD\"", "\"QR==\"", "\"-_\"", "=",
        "\\u0000", "\\ud800", "\\udc00", "\\ud83d\\ude00", "\\u00e9", "\u{FFFD}", "é", "{\"value\":\"x\"}", "[]", "{}",
    ].map { Array($0.utf8) } + [[0xFF], [0xC3, 0x28], [0xC3], [0x00], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80]]

    static let paths = [
        "/v1/topics/fuzz-a", "/v1/topics/fuzz-b", "/v1/topics/fuzz-a/records", "/v1/topics/fuzz-b/records",
        "/topics/fuzz-a", "/topics/fuzz-c", "/v1/topics/bad%20topic", "/v1/topics//records", "/v1/topics/\(String(repeating: "t", count: 250))/records",
    ]

    static let contentTypes = [
        "application/json", "application/x-ndjson", "application/vnd.kafka.json.v2+json", "application/vnd.kafka.binary.v2+json",
        "application/vnd.kafka.v2+json", "application/json; charset=utf-8", "text/plain", "",
    ]

    mutating func mutate() -> FuzzRequest {
        var request = corpus[random.below(corpus.count)]
        let rounds = 1 + random.below(random.chance(20) ? 16 : 4)
        for _ in 0..<rounds { mutateOnce(&request) }
        return request
    }

    private mutating func mutateOnce(_ request: inout FuzzRequest) {
        switch random.below(100) {
        case 0..<4:
            request.path = Self.paths[random.below(Self.paths.count)]
        case 4..<9:
            let type = Self.contentTypes[random.below(Self.contentTypes.count)]
            request.headers.removeAll { $0.name.lowercased() == "content-type" }
            if !type.isEmpty { request.headers.append(("Content-Type", Array(type.utf8))) }
        case 9..<13:
            var value = randomBytes(1 + random.below(6))
            if random.chance(50) { value = Self.dictionary[random.below(Self.dictionary.count)] }
            let name = random.chance(50) ? "X-Spillway-Key" : "X-Spillway-Header-H\(random.below(3))"
            // Bytes an HTTP parser refuses outright (control bytes, line breaks) are a protocol matter, not ours.
            request.headers.removeAll { $0.name.lowercased() == name.lowercased() }
            request.headers.append((name, value.filter { $0 >= 0x20 && $0 != 0x7F }))
        case 13..<18:
            let other = corpus[random.below(corpus.count)].body
            guard !other.isEmpty else { return }
            let start = random.below(other.count)
            let piece = other[start..<min(other.count, start + 1 + random.below(64))]
            request.body.insert(contentsOf: piece, at: random.below(request.body.count + 1))
        case 18..<45:
            let token = Self.dictionary[random.below(Self.dictionary.count)]
            let at = random.below(request.body.count + 1)
            if random.chance(50), at < request.body.count {
                let end = min(request.body.count, at + 1 + random.below(token.count + 2))
                request.body.replaceSubrange(at..<end, with: token)
            } else {
                request.body.insert(contentsOf: token, at: at)
            }
        case 45..<60:
            guard !request.body.isEmpty else { return }
            let at = random.below(request.body.count)
            request.body.removeSubrange(at..<min(request.body.count, at + 1 + random.below(8)))
        case 60..<72:
            guard !request.body.isEmpty else { return }
            request.body[random.below(request.body.count)] ^= UInt8(1) << UInt8(random.below(8))
        case 72..<82:
            guard !request.body.isEmpty else { return }
            request.body[random.below(request.body.count)] = UInt8(truncatingIfNeeded: random.next())
        case 82..<90:
            request.body.insert(contentsOf: randomBytes(1 + random.below(4)), at: random.below(request.body.count + 1))
        default:
            // Repeat a slice: long batches, deep nesting.
            guard !request.body.isEmpty else { return }
            let start = random.below(request.body.count)
            let slice = Array(request.body[start..<min(request.body.count, start + 1 + random.below(32))])
            let copies = 1 + random.below(random.chance(10) ? 600 : 8)
            var repeated: [UInt8] = []
            for _ in 0..<copies { repeated += slice }
            request.body.insert(contentsOf: repeated, at: start)
        }
    }

    private mutating func randomBytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }
}
