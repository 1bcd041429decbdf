/// Recognises a broker that the loaded librdkafka cannot speak to at all: the
/// connection fails while reading the broker's ApiVersions reply ("Read
/// underflow"), because the broker answers in a newer form of the protocol
/// than this librdkafka knows (Debian's 2.0.2 against Tansu, for one). Left to
/// itself librdkafka blames "broker version < 0.10", which sends people the
/// wrong way; this says what to do instead. Pure: text in, finding out.
package struct IncompatibleBrokerDetector: Sendable {
    /// What was recognised, in words an operator can act on.
    package struct Finding: Sendable, Equatable {
        /// The broker as librdkafka names it (`host:port`), when the text says.
        package var broker: String?
        package var explanation: String
    }

    /// The librdkafka version loaded at run time (`rd_kafka_version_str()`).
    package let libraryVersion: String
    /// The current finding; it holds until a broker answers a request.
    package private(set) var finding: Finding?

    package init(libraryVersion: String) {
        self.libraryVersion = libraryVersion
    }

    /// Looks at one of librdkafka's log lines; returns a finding the first time one is recognised.
    package mutating func observe(_ line: KafkaLogLine) -> Finding? {
        observe(text: line.message)
    }

    /// Looks at the text of a client error event; returns a finding the first time one is recognised.
    package mutating func observe(errorText: String) -> Finding? {
        observe(text: errorText)
    }

    /// A broker answered (a delivery report said stored): whatever was wrong is not wrong now.
    package mutating func brokerAnswered() {
        finding = nil
    }

    private mutating func observe(text: String) -> Finding? {
        guard Self.isApiVersionUnderflow(text) else { return nil }
        let broker = Self.brokerName(in: text)
        // Once per episode; a newly named broker replaces an unnamed one.
        guard finding == nil || (finding?.broker == nil && broker != nil) else { return nil }
        let found = Finding(broker: broker, explanation: explanation(broker: broker))
        finding = found
        return found
    }

    /// librdkafka says it two ways: `ApiVersionRequest failed: Local: Read underflow`
    /// (a warning, always logged) and `Protocol read buffer underflow for ApiVersion v3` (debug).
    static func isApiVersionUnderflow(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return lowered.contains("apiversion") && lowered.contains("underflow")
    }

    /// `127.0.0.1:9092` from `127.0.0.1:9092/bootstrap: ApiVersionRequest failed: …`.
    static func brokerName(in text: String) -> String? {
        guard let end = text.range(of: ": ApiVersion") ?? text.range(of: ": Protocol read buffer underflow") else { return nil }
        var name = text[..<end.lowerBound]
        // librdkafka adds `/bootstrap` or `/NODEID`; a leading `sasl_ssl://` stays as the user wrote it.
        if let slash = name.lastIndex(of: "/"), !name[name.index(after: slash)...].isEmpty, name[..<slash].contains(":") {
            name = name[..<slash]
        }
        return name.isEmpty || name.contains(" ") ? nil : String(name)
    }

    private func explanation(broker: String?) -> String {
        "the Kafka broker\(broker.map { " at \($0)" } ?? "") answers in a newer form of the Kafka protocol than the loaded "
            + "librdkafka \(libraryVersion) can read (its ApiVersions reply fails with a read underflow), so nothing can be sent to it; "
            + "records are kept in the spool meanwhile. Load a newer librdkafka (Spillway is tested with 2.16): "
            + "install a newer package from your distribution or Confluent, or put a newer librdkafka.so.1 first on LD_LIBRARY_PATH "
            + "(see Install in the README); `spillway --version` shows the version loaded"
    }
}
