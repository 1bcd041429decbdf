import CRDKafka

/// The librdkafka this process loaded at run time: CI runs the Kafka-facing
/// suites once with Debian's and once with a newer one on `LD_LIBRARY_PATH`,
/// and the few tests whose expectations differ between the two ask this.
package enum LoadedLibrdkafka {
    /// Such as `2.0.2` or `2.16.1`.
    package static var version: String { String(cString: rd_kafka_version_str()) }

    /// `rd_kafka_version()`: 0xMMmmrrxx, comparable.
    package static var number: Int32 { rd_kafka_version() }

    /// `true` for 2.0.x and older, whose ApiVersions parser fails on newer brokers' replies.
    package static var isOlderThan2_1: Bool { number < 0x0201_0000 }
}
