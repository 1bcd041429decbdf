/// A Kafka record header. Kafka allows repeated names, so headers are a list, not a map.
public struct RecordHeader: Sendable, Hashable {
    public var name: String
    /// `nil` is Kafka's NULL header value, kept distinct from an empty one.
    public var value: [UInt8]?

    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }
}
