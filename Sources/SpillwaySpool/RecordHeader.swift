/// A Kafka record header. Kafka allows repeated names, so headers are a list, not a map.
public struct RecordHeader: Sendable, Hashable {
    public var name: String
    public var value: [UInt8]

    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }
}
