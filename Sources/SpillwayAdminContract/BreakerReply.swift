import Spillway

/// The answer to `PUT /v1/breaker`: the mode now in force.
public struct BreakerReply: AdminDocument {
    public var mode = BreakerMode.auto

    public init() {}

    public init(mode: BreakerMode) {
        self.mode = mode
    }
}
