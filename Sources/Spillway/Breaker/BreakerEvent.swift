import Foundation

/// A breaker transition as subscribers receive it.
public struct BreakerEvent: Sendable, Hashable {
    public var transition: BreakerTransition
    /// Wall-clock time of the transition.
    public var date: Date
}
