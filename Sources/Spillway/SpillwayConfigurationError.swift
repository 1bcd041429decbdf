/// A configuration value that makes no sense, named so the operator can fix it.
public struct SpillwayConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
