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

        let fromOptions = try await SettingsLoader.load(file: path, overrides: ["http.port": .int(9200)], environment: environment)
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
        await #expect { try await SettingsLoader.load(file: nil, overrides: ["kafka.acks": .string("most")], environment: [:]) } throws: { error in
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
        await #expect { try await SettingsLoader.load(file: nil, overrides: ["breaker.minimum_calls": .int(500)], environment: [:]) } throws: { error in
            // In the keys people set, not the library's field names.
            "\(error)".contains("breaker.minimum_calls must be between 1 and breaker.window_size")
        }
        let (directory4, badProperty) = try file(#"{"kafka": {"properties": {"no.such.prop": "x"}}}"#)
        defer { directory4.remove() }
        await #expect { try await SettingsLoader.load(file: badProperty, environment: [:]) } throws: { error in
            "\(error)".contains("kafka property no.such.prop=x: No such configuration property")
        }
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
