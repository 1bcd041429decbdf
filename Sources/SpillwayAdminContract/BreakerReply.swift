import Spillway

/// The answer to `PUT /v1/breaker`: the mode now in force.
public struct BreakerReply: AdminDocument {
    public var mode = BreakerMode.auto
    /// The clusters the mode was set on, when the service runs several.
    public var clusters: [String]?

    public init() {}

    public init(mode: BreakerMode, clusters: [String]? = nil) {
        self.mode = mode
        self.clusters = clusters
    }
}
