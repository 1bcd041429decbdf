@testable import Spillway
import Testing

/// The plain-words error for a broker the loaded librdkafka cannot speak to,
/// from the lines librdkafka 2.0.2 really writes against Tansu 0.6.0.
@Suite struct IncompatibleBrokerDetectorTests {
    // Copied from a run of Debian's librdkafka 2.0.2 against Tansu (kcat -L -d broker,protocol).
    static let failLine = KafkaLogLine(
        syslogLevel: 4, facility: "FAIL",
        message: "127.0.0.1:19092/bootstrap: ApiVersionRequest failed: Local: Read underflow: probably due to broker version < 0.10 (see api.version.request configuration) (after 0ms in state APIVERSION_QUERY)"
    )
    static let debugLine = KafkaLogLine(
        syslogLevel: 7, facility: "PROTOUFLOW",
        message: "127.0.0.1:19092/bootstrap: Protocol read buffer underflow for ApiVersion v3 at 274/279 (rd_kafka_handle_ApiVersion:2216): expected 216172782113783806 bytes > 5 remaining bytes (incorrect broker.version.fallback?)"
    )

    @Test func theApiVersionUnderflowWarningIsRecognisedAndExplained() throws {
        var detector = IncompatibleBrokerDetector(libraryVersion: "2.0.2")
        let observed = detector.observe(Self.failLine)
        let finding = try #require(observed)
        #expect(finding.broker == "127.0.0.1:19092")
        #expect(finding.explanation.contains("librdkafka 2.0.2"), "names the version loaded")
        #expect(finding.explanation.contains("127.0.0.1:19092"))
        #expect(finding.explanation.contains("LD_LIBRARY_PATH"), "says how to load a newer one")
        #expect(finding.explanation.contains("newer librdkafka"))
        #expect(!finding.explanation.contains("< 0.10"), "not librdkafka's misleading guess")
        #expect(detector.finding == finding)
    }

    @Test func theDebugLineAndTheErrorEventAreRecognisedToo() throws {
        var fromDebug = IncompatibleBrokerDetector(libraryVersion: "2.0.2")
        let debugFinding = fromDebug.observe(Self.debugLine)
        #expect(debugFinding?.broker == "127.0.0.1:19092")
        var fromError = IncompatibleBrokerDetector(libraryVersion: "2.0.2")
        let event = "kafka-1.staging:9092/3: ApiVersionRequest failed: Local: Read underflow: probably due to broker version < 0.10 (see api.version.request configuration) (after 1ms in state APIVERSION_QUERY)"
        let errorFinding = fromError.observe(errorText: event)
        #expect(errorFinding?.broker == "kafka-1.staging:9092")
    }

    @Test func itIsReportedOncePerEpisodeAndClearedWhenABrokerAnswers() throws {
        var detector = IncompatibleBrokerDetector(libraryVersion: "2.0.2")
        let first = detector.observe(Self.failLine)
        let again = detector.observe(Self.failLine)
        let asError = detector.observe(errorText: Self.failLine.message)
        #expect(first != nil)
        #expect(again == nil, "every reconnect repeats it: said once")
        #expect(asError == nil)
        #expect(detector.finding != nil, "still in force for status pages")
        detector.brokerAnswered()
        #expect(detector.finding == nil)
        let nextEpisode = detector.observe(Self.failLine)
        #expect(nextEpisode != nil, "a new episode is reported again")
    }

    @Test func otherConnectionFailuresAreNotMistakenForIt() {
        var detector = IncompatibleBrokerDetector(libraryVersion: "2.16.1")
        let others = [
            "127.0.0.1:9092/bootstrap: Connect to ipv4#127.0.0.1:9092 failed: Connection refused (after 0ms in state CONNECT)",
            "127.0.0.1:9092/1: ApiVersionRequest failed: Local: Timed out: probably due to broker version < 0.10 (see api.version.request configuration) (after 10009ms in state APIVERSION_QUERY)",
            "1/1 brokers are down",
            "127.0.0.1:9092/1: Receive failed: Local: Read underflow",
        ]
        for text in others {
            let fromLog = detector.observe(KafkaLogLine(syslogLevel: 3, facility: "FAIL", message: text))
            let fromError = detector.observe(errorText: text)
            #expect(fromLog == nil, "\(text)")
            #expect(fromError == nil, "\(text)")
        }
        #expect(detector.finding == nil)
    }

    @Test func aLineWithoutABrokerNameStillExplainsAndALaterNamedOneFillsItIn() throws {
        var detector = IncompatibleBrokerDetector(libraryVersion: "2.0.2")
        let firstFinding = detector.observe(errorText: "ApiVersionRequest failed: Local: Read underflow")
        let unnamed = try #require(firstFinding)
        #expect(unnamed.broker == nil)
        #expect(unnamed.explanation.hasPrefix("the Kafka broker answers in a newer form"))
        let named = detector.observe(Self.failLine)
        #expect(named?.broker == "127.0.0.1:19092")
    }
}
