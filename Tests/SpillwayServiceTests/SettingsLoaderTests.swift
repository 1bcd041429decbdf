import Foundation
import Spillway
import SpillwayService
import SpillwayTestKit
import Testing

@Suite struct SettingsLoaderTests {
    func file(_ json: String) throws -> (TemporaryDirectory, String) {
        let directory = TemporaryDirectory("spillway-config")
        let path = directory.file("spillway.json")
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return (directory, path)
    }

    @Test func defaultsNeedNoFile() async throws {
        let settings = try await SettingsLoader.load(file: nil, environment: [:])
        #expect(settings.httpHost == "127.0.0.1")
        #expect(settings.httpPort == 8080)
        #expect(settings.adminPort == 8081)
        #expect(settings.pipeline.spool.path == "spillway-data/spool.db")
        #expect(settings.pipeline.kafka.bootstrapServers == ["localhost:9092"])
        #expect(settings.kafkaMock == false)
    }

    @Test func optionsBeatEnvironmentWhichBeatsTheFile() async throws {
        let (directory, path) = try file(#"{"http": {"port": 9000, "host": "127.0.0.2"}, "kafka": {"bootstrap_servers": ["k1:9092", "k2:9092"], "properties": {"security.protocol": "SSL", "batch.size": 1000}}, "breaker": {"slow_call_ms": 750}}"#)
        defer { directory.remove() }
        let fromFile = try await SettingsLoader.load(file: path, environment: [:])
        #expect(fromFile.httpPort == 9000)
        #expect(fromFile.pipeline.kafka.bootstrapServers == ["k1:9092", "k2:9092"])
        #expect(fromFile.pipeline.kafka.properties == ["security.protocol": "SSL", "batch.size": "1000"])
        #expect(fromFile.pipeline.breaker.slowCallDuration == .milliseconds(750))

        let environment = ["SPILLWAY_HTTP_PORT": "9100", "SPILLWAY_KAFKA_BOOTSTRAP_SERVERS": "e1:9092,e2:9092"]
        let fromEnvironment = try await SettingsLoader.load(file: path, environment: environment)
        #expect(fromEnvironment.httpPort == 9100)
        #expect(fromEnvironment.httpHost == "127.0.0.2")
        #expect(fromEnvironment.pipeline.kafka.bootstrapServers == ["e1:9092", "e2:9092"])

        let fromOptions = try await SettingsLoader.load(file: path, overrides: [SettingsKeys.named("http.port")!: .int(9200)], environment: environment)
        #expect(fromOptions.httpPort == 9200)
    }

    @Test func unknownKeysAndBadValuesAreNamed() async throws {
        let (directory, path) = try file(#"{"http": {"prot": 9000}}"#)
        defer { directory.remove() }
        await #expect { try await SettingsLoader.load(file: path, environment: [:]) } throws: { error in
            "\(error)".contains("http.prot") && "\(error)".contains("did you mean http.port")
        }
        let (directory2, badValue) = try file(#"{"http": {"port": "eighty"}}"#)
        defer { directory2.remove() }
        await #expect { try await SettingsLoader.load(file: badValue, environment: [:]) } throws: { error in
            "\(error)".contains("http.port") && "\(error)".contains("integer")
        }
        await #expect { try await SettingsLoader.load(file: nil, environment: ["SPILLWAY_HTTP_PORT": "x"]) } throws: { error in
            "\(error)".contains("http.port")
        }
        await #expect { try await SettingsLoader.load(file: nil, environment: ["SPILLWAY_HTTP_PROT": "1"]) } throws: { error in
            "\(error)".contains("SPILLWAY_HTTP_PROT")
        }
        await #expect { try await SettingsLoader.load(file: nil, overrides: [SettingsKeys.named("kafka.acks")!: .string("most")], environment: [:]) } throws: { error in
            "\(error)".contains("kafka.acks") && "\(error)".contains("all, leader, none")
        }
        await #expect { try await SettingsLoader.load(file: "/nonexistent/spillway.json", environment: [:]) } throws: { error in
            "\(error)" == "configuration file /nonexistent/spillway.json: no such configuration file"
        }
        let (directory3, notJSON) = try file("port = 80")
        defer { directory3.remove() }
        await #expect { try await SettingsLoader.load(file: notJSON, environment: [:]) } throws: { error in
            "\(error)".contains("not valid JSON")
        }
        await #expect { try await SettingsLoader.load(file: nil, overrides: [SettingsKeys.named("breaker.minimum_calls")!: .int(500)], environment: [:]) } throws: { error in
            // In the keys people set, not the library's field names.
            "\(error)" == "configuration key breaker.minimum_calls: must be at most breaker.window_size (100), got 500"
        }
        let (directory4, badProperty) = try file(#"{"kafka": {"properties": {"no.such.prop": "x"}}}"#)
        defer { directory4.remove() }
        await #expect { try await SettingsLoader.load(file: badProperty, environment: [:]) } throws: { error in
            "\(error)".contains("kafka property no.such.prop=x: No such configuration property")
        }
    }

    /// Refused with `needle` in the message (issue 13, item 12).
    func expectRefused(file json: String? = nil, environment: [String: String] = [:], naming needle: String..., sourceLocation: SourceLocation = #_sourceLocation) async throws {
        var path: String?
        var directory: TemporaryDirectory?
        if let json {
            let (made, file) = try file(json)
            directory = made
            path = file
        }
        defer { directory?.remove() }
        do {
            _ = try await SettingsLoader.load(file: path, environment: environment)
            Issue.record("accepted: \(json ?? "") \(environment)", sourceLocation: sourceLocation)
        } catch {
            for part in needle {
                #expect(error.description.contains(part), "\(error.description)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func emptyListsAreRefusedFromTheEnvironmentAsFromTheFile() async throws {
        try await expectRefused(environment: ["SPILLWAY_KAFKA_BOOTSTRAP_SERVERS": ",,,"], naming: "kafka.bootstrap_servers")
        try await expectRefused(environment: ["SPILLWAY_KAFKA_BOOTSTRAP_SERVERS": "k1:9092,,k2:9092"], naming: "kafka.bootstrap_servers")
        try await expectRefused(file: #"{"kafka": {"bootstrap_servers": []}}"#, naming: "kafka.bootstrap_servers")
        try await expectRefused(file: #"{"http": {"topic_allowlist": []}}"#, naming: "http.topic_allowlist")
        try await expectRefused(environment: ["SPILLWAY_HTTP_TOPIC_ALLOWLIST": " , "], naming: "http.topic_allowlist")
    }

    @Test func duplicateKeysInTheFileAreRefused() async throws {
        try await expectRefused(file: #"{"http": {"port": 9000, "port": 9001}}"#, naming: "http.port", "more than once")
        try await expectRefused(file: "{\"http\": {\"port\": 9000},\n \"http\": {\"host\": \"::1\"}}", naming: "http", "more than once", "line 2")
    }

    @Test func numbersOutsideTheirRangeAreRefusedNamingTheKey() async throws {
        try await expectRefused(file: #"{"breaker": {"open_ms": 9223372036854775807}}"#, naming: "breaker.open_ms", "between")
        try await expectRefused(file: #"{"http": {"max_body_bytes": 9223372036854775807}}"#, naming: "http.max_body_bytes", "between")
        try await expectRefused(environment: ["SPILLWAY_REPLAY_RECORDS_PER_SECOND": "-5"], naming: "replay.records_per_second", "between")
        try await expectRefused(environment: ["SPILLWAY_REPLAY_RECORDS_PER_SECOND": "1e300"], naming: "replay.records_per_second")
        try await expectRefused(environment: ["SPILLWAY_BREAKER_JITTER": "nan"], naming: "breaker.jitter")
        try await expectRefused(environment: ["SPILLWAY_KAFKA_LINGER_MS": "-1"], naming: "kafka.linger_ms")
        try await expectRefused(environment: ["SPILLWAY_SPOOL_MAX_RECORDS": "0"], naming: "spool.max_records")
    }

    @Test func crossFieldChecksNameBothKeys() async throws {
        try await expectRefused(environment: ["SPILLWAY_BREAKER_OPEN_MS": "60000", "SPILLWAY_BREAKER_MAX_OPEN_MS": "1000"], naming: "breaker.open_ms", "breaker.max_open_ms")
        try await expectRefused(environment: ["SPILLWAY_BREAKER_MINIMUM_CALLS": "50", "SPILLWAY_BREAKER_WINDOW_SIZE": "10"], naming: "breaker.minimum_calls", "breaker.window_size")
        try await expectRefused(environment: ["SPILLWAY_MAX_RECORD_BYTES": "2000000", "SPILLWAY_QUEUE_MAX_BYTES": "1000000"], naming: "max_record_bytes", "queue.max_bytes")
        // Every rule between two settings the library states (ConfigurationOrder) is reported under the service's keys.
        try await expectRefused(
            environment: ["SPILLWAY_BREAKER_PROBE_INTERVAL_MS": "2000", "SPILLWAY_BREAKER_PROBE_MAX_INTERVAL_MS": "1000"],
            naming: "breaker.probe_interval_ms", "breaker.probe_max_interval_ms"
        )
        try await expectRefused(
            environment: ["SPILLWAY_REPLAY_MIN_RECORDS_PER_SECOND": "500", "SPILLWAY_REPLAY_RECORDS_PER_SECOND": "100"],
            naming: "replay.min_records_per_second", "replay.records_per_second"
        )
    }

    /// `ack.*`: the level of requests that name none, per topic, and the waiting bounds.
    @Test func acknowledgementKeysSetTheDefaultsAndTheBounds() async throws {
        let (directory, path) = try file(#"{"ack": {"default": "spool", "topics": ["billing=kafka", "audit = spool"], "timeout_ms": 750, "max_pending_records": 50}}"#)
        defer { directory.remove() }
        let settings = try await SettingsLoader.load(file: path, environment: ["SPILLWAY_ACK_MAX_PENDING_BYTES": "4096"])
        #expect(settings.ackLevel(forTopic: "billing") == .kafka)
        #expect(settings.ackLevel(forTopic: "audit") == .spool)
        #expect(settings.ackLevel(forTopic: "clicks") == .spool, "ack.default")
        #expect(settings.pipeline.ack == AckConfiguration(timeout: .milliseconds(750), maxPendingRecords: 50, maxPendingBytes: 4096))
        let fromEnvironment = try await SettingsLoader.load(file: nil, environment: ["SPILLWAY_ACK_TOPICS": "billing=kafka,clicks=memory"])
        #expect(fromEnvironment.ackTopics == ["billing": .kafka, "clicks": .memory])
        #expect(fromEnvironment.ackLevel(forTopic: "other") == .memory, "memory by default")

        await #expect { try await SettingsLoader.load(file: nil, environment: ["SPILLWAY_ACK_DEFAULT": "disk"]) } throws: { error in
            "\(error)".contains("ack.default") && "\(error)".contains("memory, spool, kafka")
        }
        await #expect { try await SettingsLoader.load(file: nil, environment: ["SPILLWAY_ACK_TOPICS": "billing"]) } throws: { error in
            "\(error)".contains("ack.topics") && "\(error)".contains("topic=level")
        }
        await #expect { try await SettingsLoader.load(file: nil, environment: ["SPILLWAY_ACK_TOPICS": "bad topic=kafka"]) } throws: { error in
            "\(error)".contains("ack.topics") && "\(error)".contains("not a valid topic name")
        }
        await #expect { try await SettingsLoader.load(file: nil, environment: ["SPILLWAY_ACK_TIMEOUT_MS": "0"]) } throws: { error in
            "\(error)".contains("ack.timeout_ms")
        }
    }
}
