/// Kafka's topic-name rules, in the lowest target that needs them: intake
/// (`TopicName` in Spillway) refuses a bad name before it is spooled, and the
/// spool refuses to replay one a damaged or hand-edited row holds.
///
/// The rule runs on every `send`, so it reads contiguous bytes: a generic
/// `Collection` here is not specialised across modules, and walking a
/// `String.UTF8View` through witness tables tripled the hand-over's p50.
package enum KafkaTopicNameRule {
    package static let maxLength = 249

    /// `nil` when `name` is a valid Kafka topic name, else why not.
    package static func problem(with name: String) -> String? {
        if let answer = name.utf8.withContiguousStorageIfAvailable({ problem(with: UnsafeRawBufferPointer($0)) }) {
            return answer
        }
        return problem(with: Array(name.utf8))
    }

    /// `nil` when `utf8` is a valid Kafka topic name, else why not.
    package static func problem(with utf8: [UInt8]) -> String? {
        utf8.withUnsafeBytes { problem(with: $0) }
    }

    /// `nil` when `utf8` is a valid Kafka topic name, else why not.
    package static func problem(with utf8: UnsafeRawBufferPointer) -> String? {
        if utf8.isEmpty { return "it is empty" }
        if utf8.count > maxLength { return "it is \(utf8.count) characters long; the limit is \(maxLength)" }
        if utf8.count <= 2, utf8.allSatisfy({ $0 == UInt8(ascii: ".") }) { return "\".\" and \"..\" are not allowed" }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            default:
                return "only letters, digits, '.', '_' and '-' are allowed"
            }
        }
        return nil
    }
}
