import SpillwaySpool

/// Kafka's topic-name rules, checked at intake so a bad name never reaches the spool or the breaker.
public enum TopicName {
    public static let maxLength = KafkaTopicNameRule.maxLength

    /// `nil` when `name` is a valid Kafka topic name, else why not.
    public static func problem(with name: String) -> String? {
        KafkaTopicNameRule.problem(with: name)
    }
}
