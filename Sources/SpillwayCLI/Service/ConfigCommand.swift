import ArgumentParser
import Foundation
import Spillway
import SpillwayService

/// `spillway config …`: check a configuration before deploying it, or list every key.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check a configuration, or list every key.",
        subcommands: [Check.self, Keys.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a configuration (a JSON file, with SPILLWAY_* variables applied) and print the effective settings."
        )

        @Argument(help: "The JSON configuration file (default: \(SettingsLoader.fileVariable), or none: variables and defaults only).") var file: String?

        func run() async throws {
            let settings: ServiceSettings
            do {
                settings = try await SettingsLoader.load(file: file)
            } catch {
                throw CLIError(error.description)
            }
            let source = file ?? ProcessInfo.processInfo.environment[SettingsLoader.fileVariable]
            print("ok: \(source.map { "\($0) is valid" } ?? "the SPILLWAY_* variables and defaults are valid"); effective settings:")
            let width = SettingsKeys.all.map(\.name.count).max() ?? 0
            for key in SettingsKeys.all {
                print("  " + key.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + key.value(in: settings))
            }
            for (property, value) in settings.pipeline.kafka.properties.sorted(by: { $0.key < $1.key }) {
                print("  \(SettingsKeys.property(property)) = \(KafkaConfiguration.isSecretProperty(property) ? "(set)" : value)")
            }
            if !settings.clusters.isEmpty { try print(Self.routingTable(settings)) }
        }

        /// Where each topic goes, and each cluster's own settings and part of the spool.
        static func routingTable(_ settings: ServiceSettings) throws -> String {
            var lines = ["routing (a topic goes to the one cluster whose topics match it):"]
            let compartments = try settings.compartments()
            for (index, (cluster, configuration)) in compartments.enumerated() {
                let topics = index == 0 ? "every other topic" : settings.clusters[index - 1].topics.joined(separator: ", ")
                let brokers = settings.kafkaMock ? "an in-process mock cluster" : "brokers " + configuration.kafka.bootstrapServers.joined(separator: ",")
                lines.append("  \(topics) -> \(cluster)  (\(brokers); spool \(configuration.spool.path), "
                    + "at most \(ByteCount.format(configuration.spool.maxBytes)) and \(configuration.spool.maxRecords) records)")
                guard index > 0 else { continue }
                let cluster = settings.clusters[index - 1]
                for (key, value) in cluster.settingsShown(in: settings) {
                    lines.append("      \(key) = \(value)")
                }
            }
            return lines.joined(separator: "\n")
        }
    }

    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every configuration key with its type, default, range and environment variable.",
            discussion: "--markdown prints README's configuration table, which a test keeps equal to this list."
        )

        @Flag(help: "Print a Markdown table.") var markdown = false

        func run() {
            print(markdown ? Self.table() : Self.listing())
        }

        /// One key per entry: name, type, default, range, variable, then what it does.
        static func listing() -> String {
            var lines: [String] = []
            for key in SettingsKeys.all {
                let range = key.kind.range.map { ", range \($0)" } ?? ""
                lines.append("\(key.name) (\(key.kind.typeName)), default \(key.defaultValue)\(range), env \(key.environmentVariable)")
                lines.append("    \(key.help)")
            }
            lines.append("\(SettingsKeys.property("NAME")) (string): any librdkafka property, passed through as is (file only)")
            for (key, type, help) in clusterKeys {
                lines.append("\(key) (\(type)): \(help) (file only)")
            }
            return lines.joined(separator: "\n")
        }

        /// README's configuration table.
        static func table() -> String {
            var lines = ["| key | type | default | range | environment | meaning |", "| --- | --- | --- | --- | --- | --- |"]
            for key in SettingsKeys.all {
                // `(any)`, `(none)`: unset, said in words rather than shown as a value.
                let value = key.defaultValue.hasPrefix("(") ? key.defaultValue : "`\(key.defaultValue)`"
                let cells = ["`\(key.name)`", key.kind.typeName, value, key.kind.range ?? "", "`\(key.environmentVariable)`", key.help]
                lines.append("| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
            }
            lines.append("| `\(SettingsKeys.property("NAME"))` | string | | | (file only) | any librdkafka property, passed through as is |")
            for (key, type, help) in clusterKeys {
                lines.append("| `\(key)` | \(type) | | | (file only) | \(help) |")
            }
            return lines.joined(separator: "\n")
        }

        /// The keys of another cluster (README: Several Kafka clusters).
        static let clusterKeys: [(key: String, type: String, help: String)] = [
            ("\(SettingsKeys.clusters).NAME.topics", "list of strings", "topic names and * globs routed to cluster NAME"),
            ("\(SettingsKeys.clusters).NAME.spool_share", "number", "NAME's part of the spool bounds, above 0 and below 1 (unset: an even part of the rest)"),
            ("\(SettingsKeys.clusters).NAME.KEY", "", "any kafka, queue, spool_handoff, breaker, replay or ack bound key for NAME alone (\(SettingsKeys.kafkaBootstrapServers.name) required)"),
        ]
    }
}
