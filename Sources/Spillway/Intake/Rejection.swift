/// Why `send` refused a record outright. Rejections are about the input; nothing is accepted.
public enum Rejection: Sendable, Hashable, CustomStringConvertible {
    /// Kafka's rules: 1–249 characters of `a-z A-Z 0-9 . _ -`, and not `.` or `..`.
    case invalidTopic(String, why: String)
    /// Key, value and headers together exceed the configured limit.
    case recordTooLarge(size: Int, limit: Int)

    /// Short, stable name for counters.
    public var code: String {
        switch self {
        case .invalidTopic: "invalid_topic"
        case .recordTooLarge: "record_too_large"
        }
    }

    public var description: String {
        switch self {
        case let .invalidTopic(topic, why): "invalid topic name \"\(topic.prefix(300))\": \(why)"
        case let .recordTooLarge(size, limit): "record of \(size) bytes is over the limit of \(limit) bytes"
        }
    }
}
