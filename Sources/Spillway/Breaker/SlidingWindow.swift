/// The last N call outcomes, with running counts, so rates are O(1).
struct SlidingWindow: Sendable {
    enum Kind: UInt8, Sendable {
        case success
        case slow
        case failure
        /// Slow and then failed: counts in both rates.
        case slowFailure
    }

    private var ring: [Kind]
    private var next = 0
    private(set) var count = 0
    private(set) var failures = 0
    private(set) var slow = 0

    init(size: Int) {
        ring = Array(repeating: .success, count: size)
    }

    mutating func add(_ kind: Kind) {
        if count == ring.count {
            remove(ring[next])
        } else {
            count += 1
        }
        ring[next] = kind
        next = (next + 1) % ring.count
        if kind == .failure || kind == .slowFailure { failures += 1 }
        if kind == .slow || kind == .slowFailure { slow += 1 }
    }

    private mutating func remove(_ kind: Kind) {
        if kind == .failure || kind == .slowFailure { failures -= 1 }
        if kind == .slow || kind == .slowFailure { slow -= 1 }
    }

    mutating func reset() {
        self = SlidingWindow(size: ring.count)
    }

    var failureRate: Double { count == 0 ? 0 : Double(failures) / Double(count) }
    var slowRate: Double { count == 0 ? 0 : Double(slow) / Double(count) }
}
