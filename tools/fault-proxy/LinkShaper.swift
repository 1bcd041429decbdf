/// When each chunk of one direction of one connection may leave: after the
/// one-way delay, and no faster than the bandwidth cap allows, in arrival
/// order (a chunk never overtakes the one before it, even when the delay
/// shrinks). Pure: times in, times out, so it is easy to reason about.
struct LinkShaper: Sendable {
    /// When the previous chunk left, in nanoseconds on the caller's clock.
    private var lastRelease: Int64 = .min

    /// The release time of `bytes` arriving at `now`.
    mutating func release(bytes: Int, arrivingAt now: Int64, oneWayDelayNanoseconds delay: Int64, bytesPerSecond: Int) -> Int64 {
        var release = max(now + delay, lastRelease)
        if bytesPerSecond > 0 {
            // Serialisation time on a link of that speed.
            release += Int64(bytes) * 1_000_000_000 / Int64(bytesPerSecond)
        }
        lastRelease = release
        return release
    }
}
