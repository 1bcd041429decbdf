/// What the breaker asks its owner to do; the state machine itself does no I/O.
public enum BreakerAction: Sendable, Hashable {
    /// Mode or state changed: log it, count it, publish it; purge and spill when it stops sending.
    case transition(BreakerTransition)
    /// Check the cluster (metadata request) and report with `probeFinished`.
    case startProbe
    /// A probe found Kafka still unhealthy; the breaker stays open until `nextProbeIn` has passed.
    case probeFailed(detail: String, nextProbeIn: Duration)
}
