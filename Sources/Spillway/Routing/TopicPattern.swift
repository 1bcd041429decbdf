/// A topic name, or a glob over topic names where `*` stands for any run of
/// characters (`audit.*`, `*.metrics`): how routes name the topics they take.
public struct TopicPattern: Sendable, Hashable, CustomStringConvertible {
    /// As written in the configuration.
    public let description: String
    private let bytes: [UInt8]

    /// Refuses what can match no valid topic name, so a typo is found at start-up, not in the data.
    public init(_ text: String) throws(SpillwayConfigurationError) {
        guard !text.isEmpty else { throw SpillwayConfigurationError("a topic pattern must not be empty") }
        if !text.contains("*") {
            if let problem = TopicName.problem(with: text) { throw SpillwayConfigurationError("topic pattern \"\(text)\": \(problem)") }
        } else {
            // The stars may stand for any topic-name characters; the rest must be such characters.
            let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-*".utf8)
            if text.utf8.contains(where: { !allowed.contains($0) }) {
                throw SpillwayConfigurationError("topic pattern \"\(text)\": only letters, digits, '.', '_', '-' and '*' are allowed")
            }
            if text.utf8.count > TopicName.maxLength { throw SpillwayConfigurationError("topic pattern \"\(text)\" is longer than a topic name may be") }
        }
        description = text
        bytes = Array(text.utf8)
    }

    /// A plain topic name: matched by a dictionary lookup, not a scan.
    public var isExact: Bool { !bytes.contains(Self.star) }

    /// Whether `topic` is one of the names this pattern stands for.
    public func matches(_ topic: String) -> Bool {
        var topic = topic
        return topic.withUTF8 { Self.match(pattern: bytes[...], text: $0) }
    }

    /// Whether some topic name matches both: two routes that overlap send that
    /// topic two ways, and which way would depend on their order.
    public func overlaps(_ other: TopicPattern) -> Bool {
        // Both patterns as automata over the same input, walked together: (i, j) is
        // "i bytes of this pattern and j of the other consumed". A star may consume
        // nothing (skip it) or any byte (stay); a literal consumes itself.
        let a = bytes, b = other.bytes
        var seen = Set<Int>()
        var pending = [(0, 0)]
        while let (i, j) = pending.popLast() {
            guard seen.insert(i * (b.count + 1) + j).inserted else { continue }
            if i == a.count && j == b.count { return true }
            let aStar = i < a.count && a[i] == Self.star
            let bStar = j < b.count && b[j] == Self.star
            if aStar { pending.append((i + 1, j)) }
            if bStar { pending.append((i, j + 1)) }
            switch (aStar, bStar) {
            case (true, false) where j < b.count: pending.append((i, j + 1))
            case (false, true) where i < a.count: pending.append((i + 1, j))
            case (false, false) where i < a.count && j < b.count && a[i] == b[j]: pending.append((i + 1, j + 1))
            default: break
            }
        }
        return false
    }

    private static let star = UInt8(ascii: "*")

    /// Glob matching with `*` only: greedy, remembering the last star to back up to.
    private static func match(pattern: ArraySlice<UInt8>, text: UnsafeBufferPointer<UInt8>) -> Bool {
        var p = pattern.startIndex, t = 0
        var starAt: Int?, resumeText = 0
        while t < text.count {
            if p < pattern.endIndex, pattern[p] == star {
                starAt = p
                resumeText = t
                p += 1
            } else if p < pattern.endIndex, pattern[p] == text[t] {
                p += 1
                t += 1
            } else if let starAt {
                p = starAt + 1
                resumeText += 1
                t = resumeText
            } else {
                return false
            }
        }
        while p < pattern.endIndex, pattern[p] == star { p += 1 }
        return p == pattern.endIndex
    }
}
