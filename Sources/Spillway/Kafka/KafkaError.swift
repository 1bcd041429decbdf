/// An error librdkafka reported, in Swift terms, for code that decides what it
/// means (`ReportClassifier`, the delivery loop) without calling C: its kind (who
/// is at fault), and, read from librdkafka on demand, its name and description.
/// Only `RDKafka/` makes one from librdkafka's code.
package struct KafkaError: Error, Sendable, Hashable {
    /// librdkafka's `rd_kafka_resp_err_t`, as its raw value.
    package let code: Int32
    package let kind: KafkaErrorKind

    /// Made by `RDKafka/` (`KafkaError(_: rd_kafka_resp_err_t)`), which knows each code's kind.
    init(code: Int32, kind: KafkaErrorKind) {
        self.code = code
        self.kind = kind
    }
}
