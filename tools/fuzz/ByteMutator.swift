/// Seeded mutations of raw protocol bytes (Kafka frames, record sets): bit
/// flips, Kafka's edge integers written over fields, insertions, deletions,
/// splices of other seeds and repeated slices.
struct ByteMutator: Sendable {
    let corpus: [[UInt8]]
    var random: FuzzRandom

    /// Integers at the edges of Kafka's fields and varints, big-endian.
    static let interesting: [[UInt8]] = [
        [0x00], [0x01], [0x7F], [0x80], [0xFF], [0x00, 0x00], [0xFF, 0xFF], [0x7F, 0xFF], [0x80, 0x00],
        [0x00, 0x00, 0x00, 0x00], [0xFF, 0xFF, 0xFF, 0xFF], [0x7F, 0xFF, 0xFF, 0xFF], [0x80, 0x00, 0x00, 0x00],
        [0x00, 0x00, 0x00, 0x01], [0x00, 0x10, 0x00, 0x00], [0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
        [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], [0xFE, 0xFF, 0xFF, 0xFF, 0x0F], [0x02], [0x03], [0x01, 0x01],
        [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00], [0x04, 0x22, 0x4D, 0x18], [0x28, 0xB5, 0x2F, 0xFD], [0x1F, 0x8B, 0x08],
    ]

    mutating func mutate() -> [UInt8] {
        var bytes = corpus[random.below(corpus.count)]
        let rounds = 1 + random.below(random.chance(20) ? 12 : 3)
        for _ in 0..<rounds { mutateOnce(&bytes) }
        return bytes
    }

    private mutating func mutateOnce(_ bytes: inout [UInt8]) {
        switch random.below(100) {
        case 0..<25:
            guard !bytes.isEmpty else { return }
            bytes[random.below(bytes.count)] ^= UInt8(1) << UInt8(random.below(8))
        case 25..<40:
            guard !bytes.isEmpty else { return }
            bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
        case 40..<60:
            let value = Self.interesting[random.below(Self.interesting.count)]
            let at = random.below(bytes.count + 1)
            if random.chance(70) {
                bytes.replaceSubrange(at..<min(bytes.count, at + value.count), with: value)
            } else {
                bytes.insert(contentsOf: value, at: at)
            }
        case 60..<72:
            guard !bytes.isEmpty else { return }
            let at = random.below(bytes.count)
            bytes.removeSubrange(at..<min(bytes.count, at + 1 + random.below(16)))
        case 72..<80:
            bytes.removeLast(random.below(min(bytes.count, 64) + 1))
        case 80..<90:
            let other = corpus[random.below(corpus.count)]
            guard !other.isEmpty else { return }
            let start = random.below(other.count)
            bytes.insert(contentsOf: other[start..<min(other.count, start + 1 + random.below(128))], at: random.below(bytes.count + 1))
        default:
            guard !bytes.isEmpty else { return }
            let start = random.below(bytes.count)
            let slice = Array(bytes[start..<min(bytes.count, start + 1 + random.below(32))])
            var repeated: [UInt8] = []
            for _ in 0..<(1 + random.below(random.chance(10) ? 300 : 6)) { repeated += slice }
            bytes.insert(contentsOf: repeated, at: start)
        }
    }
}
