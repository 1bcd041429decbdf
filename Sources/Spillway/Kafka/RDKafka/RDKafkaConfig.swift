import CRDKafka

/// `KafkaConfiguration` as librdkafka takes it: a `rd_kafka_conf_t` with every
/// property set, each checked by librdkafka itself, so a misspelt or invalid one
/// is named with its key (and a secret's value is never shown).
enum RDKafkaConfig {
    /// A librdkafka configuration for a producer whose own queue may hold
    /// `maxMessages` records; the caller owns it. Names the first property librdkafka refuses.
    static func make(_ configuration: KafkaConfiguration, maxMessages: Int, maxBytes: Int) throws(SpillwayConfigurationError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in configuration.librdkafkaProperties(maxMessages: maxMessages, maxBytes: maxBytes).sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, key, value, &errorText, errorText.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let shown = KafkaConfiguration.isSecretProperty(key) ? "(secret)" : value
                throw SpillwayConfigurationError("kafka property \(key)=\(shown): \(configuration.maskingSecrets(in: text(errorText)))")
            }
        }
        return conf
    }

    /// Checks every property with librdkafka, building and freeing a configuration.
    static func check(_ configuration: KafkaConfiguration, maxMessages: Int, maxBytes: Int) throws(SpillwayConfigurationError) {
        rd_kafka_conf_destroy(try make(configuration, maxMessages: maxMessages, maxBytes: maxBytes))
    }

    /// librdkafka's NUL-terminated error buffer as a string.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
