import Spillway

/// `PUT /v1/breaker`: force the breaker open or closed, or give it back to automatic control.
public struct BreakerRequest: AdminRequest, Equatable {
    public var mode: BreakerMode

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case mode
    }

    public static var fieldNames: [String] { CodingKeys.allCases.map(\.stringValue) }

    public init(mode: BreakerMode) {
        self.mode = mode
    }
}
