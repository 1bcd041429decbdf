import Foundation

/// One change of the breaker's mode or state, with the reason, as logged, counted and published.
public struct BreakerTransition: Sendable, Hashable {
    public var fromMode: BreakerMode
    public var fromState: BreakerState
    public var toMode: BreakerMode
    public var toState: BreakerState
    public var reason: String

    /// Kind used for per-transition counters, such as `closed->open` or `auto->forced-open`.
    public var kind: String {
        if fromMode != toMode { return "\(fromMode.label)->\(toMode.label)" }
        return "\(fromState.rawValue)->\(toState.rawValue)"
    }

    /// Whether live records may flow to Kafka after it, compared with before.
    public var startsSending: Bool { !Self.sends(fromMode, fromState) && Self.sends(toMode, toState) }
    public var stopsSending: Bool { Self.sends(fromMode, fromState) && !Self.sends(toMode, toState) }

    static func sends(_ mode: BreakerMode, _ state: BreakerState) -> Bool {
        switch mode {
        case .forcedOpen: false
        case .forcedClosed: true
        case .auto: state != .open
        }
    }
}

extension BreakerMode {
    var label: String {
        switch self {
        case .auto: "auto"
        case .forcedOpen: "forced-open"
        case .forcedClosed: "forced-closed"
        }
    }
}
