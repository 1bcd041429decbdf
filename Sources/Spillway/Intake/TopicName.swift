/// Kafka's topic-name rules, checked at intake so a bad name never reaches the spool or the breaker.
public enum TopicName {
    public static let maxLength = 249

    /// `nil` when `name` is a valid Kafka topic name, else why not.
    public static func problem(with name: String) -> String? {
        let utf8 = name.utf8
        if utf8.isEmpty { return "it is empty" }
        if utf8.count > maxLength { return "it is \(utf8.count) characters long; the limit is \(maxLength)" }
        if name == "." || name == ".." { return "\".\" and \"..\" are not allowed" }
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
