import Spillway

/// `PUT /v1/breaker`: force the breaker open or closed, or give it back to automatic control.
public struct BreakerRequest: AdminRequest, Equatable {
    public var mode: BreakerMode
    /// One cluster's breaker, when the service runs several; `nil`: every cluster's.
    public var cluster: String?

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case mode
        case cluster
    }

    public static var fieldNames: [String] { CodingKeys.allCases.map(\.stringValue) }

    public init(mode: BreakerMode, cluster: String? = nil) {
        self.mode = mode
        self.cluster = cluster
    }
}
