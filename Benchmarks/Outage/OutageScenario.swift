import ArgumentParser

/// One outage the benchmark rehearses. Every scenario sends the same load
/// (NDJSON batches at a steady rate, unique ids) and starts its fault one
/// second into it.
enum OutageScenario: String, CaseIterable, ExpressibleByArgument {
    /// The broker refuses connections for the outage, then comes back.
    case down
    /// The broker keeps connections but answers after 60 s for the outage: a
    /// frozen broker or a black-holed network.
    case hang
    /// The broker is down, and the service is SIGKILLed halfway through the
    /// outage and started again (on the same spool).
    case downKill = "down-kill"
    /// The broker is down, then comes back slow (500 ms round trip) for about
    /// 10 s while the backlog replays, then normal.
    case degraded
    /// The reference for `degraded`: the same 500 ms round trip for 10 s with
    /// no outage, so no backlog: the live latency Kafka alone gives then.
    case degradedControl = "degraded-control"

    var title: String {
        switch self {
        case .down: "broker down"
        case .hang: "broker hung (round trip 60 s)"
        case .downKill: "broker down + SIGKILL mid-outage"
        case .degraded: "degraded during replay (round trip 500 ms)"
        case .degradedControl: "control: round trip 500 ms, no outage"
        }
    }

    /// Whether the scenario has an outage the breaker must detect the end of.
    var hasOutage: Bool { self != .degradedControl }

    /// The degraded round trip, and how long it lasts.
    static let degradedRoundTripMilliseconds = 500
    static let degradedFor: Duration = .seconds(10)
    /// The hung broker's round trip: longer than the outage, so nothing it holds is answered before the end.
    static let hungRoundTripMilliseconds = 60_000
}
