import Spillway

/// The same sequence for the same seed on every machine (SplitMix64), so a
/// seed printed by CI reproduces the run.
struct FuzzRandom: RandomNumberGenerator, Sendable {
    private var generator: SplitMix64

    init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    mutating func next() -> UInt64 {
        generator.next()
    }

    mutating func below(_ bound: Int) -> Int {
        Int.random(in: 0..<max(1, bound), using: &self)
    }

    mutating func chance(_ percent: Int) -> Bool {
        below(100) < percent
    }
}
