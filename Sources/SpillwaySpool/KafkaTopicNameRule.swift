/// Kafka's topic-name rules, in the lowest target that needs them: intake
/// (`TopicName` in Spillway) refuses a bad name before it is spooled, and the
/// spool refuses to replay one a damaged or hand-edited row holds.
package enum KafkaTopicNameRule {
    package static let maxLength = 249

    /// `nil` when `utf8` is a valid Kafka topic name, else why not.
    package static func problem(with utf8: some Collection<UInt8>) -> String? {
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
