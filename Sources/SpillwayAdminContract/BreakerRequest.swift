import Spillway

/// `PUT /v1/breaker`: force the breaker open or closed, or give it back to automatic control.
public struct BreakerRequest: Codable, Sendable, Equatable {
    public var mode: BreakerMode

    public init(mode: BreakerMode) {
        self.mode = mode
    }
}
