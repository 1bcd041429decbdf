@testable import SpillwaySpool
import Testing

/// Intake checks names as `String`s and the spool checks stored bytes; both
/// must give the same answer for the same name.
@Suite struct KafkaTopicNameRuleTests {
    static let cases: [(name: String, problem: String?)] = [
        ("metrics", nil),
        ("a.b_c-D9", nil),
        ("...", nil),
        (String(repeating: "t", count: 249), nil),
        ("", "it is empty"),
        (".", "\".\" and \"..\" are not allowed"),
        ("..", "\".\" and \"..\" are not allowed"),
        (String(repeating: "t", count: 250), "it is 250 characters long; the limit is 249"),
        ("bad topic", "only letters, digits, '.', '_' and '-' are allowed"),
        ("caf\u{E9}", "only letters, digits, '.', '_' and '-' are allowed"),
        ("a/b", "only letters, digits, '.', '_' and '-' are allowed"),
    ]

    @Test(arguments: cases)
    func textAndStoredBytesGetTheSameAnswer(name: String, problem: String?) {
        #expect(KafkaTopicNameRule.problem(with: name) == problem)
        #expect(KafkaTopicNameRule.problem(with: Array(name.utf8)) == problem)
        // A name cut out of a longer string (a path, a header) is checked on its own bytes.
        let embedded = "[" + name + "]"
        let cut = String(embedded.dropFirst().dropLast())
        #expect(KafkaTopicNameRule.problem(with: cut) == problem)
    }
}
