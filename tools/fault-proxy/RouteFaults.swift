/// The faults in force on one route. A value type: the proxy swaps in a new
/// one per command, and each connection reads it when data arrives.
struct RouteFaults: Equatable, Sendable {
    var down = false
    var hang = false
    /// Added to the round trip; each direction is delayed by half.
    var roundTripMilliseconds = 0
    /// Per direction and connection; 0 means no cap.
    var bytesPerSecond = 0

    /// Whether bytes move at all.
    var forwarding: Bool { !down && !hang }

    var summary: String {
        var parts: [String] = []
        if down { parts.append("down") }
        if hang { parts.append("hang") }
        if roundTripMilliseconds > 0 { parts.append("rtt \(roundTripMilliseconds) ms") }
        if bytesPerSecond > 0 { parts.append("bandwidth \(bytesPerSecond) B/s") }
        return parts.isEmpty ? "healthy" : parts.joined(separator: ", ")
    }
}
