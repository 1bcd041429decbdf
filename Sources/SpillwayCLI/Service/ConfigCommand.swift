import ArgumentParser
import Foundation
import SpillwayService

/// `spillway config …`: check a configuration before deploying it.
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

        @Argument(help: "The JSON configuration file (default: SPILLWAY_CONFIG, or none: variables and defaults only).") var file: String?

        func run() async throws {
            let settings: ServiceSettings
            do {
                settings = try await SettingsLoader.load(file: file)
            } catch {
                throw CLIError(error.description)
            }
            let source = file ?? ProcessInfo.processInfo.environment[SettingsLoader.fileVariable]
            print("ok: \(source.map { "\($0) is valid" } ?? "the SPILLWAY_* variables and defaults are valid"); effective settings:")
            let width = SettingsKeys.documented.map(\.name.count).max() ?? 0
            for key in SettingsKeys.documented {
                print("  " + key.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + key.value(settings))
            }
            for (property, value) in settings.pipeline.kafka.properties.sorted(by: { $0.key < $1.key }) {
                print("  kafka.properties.\(property) = \(Self.isSecret(property) ? "(set)" : value)")
            }
        }

        /// librdkafka properties that hold credentials: never printed.
        static func isSecret(_ property: String) -> Bool {
            let name = property.lowercased()
            return name.contains("password") || name.contains("secret") || name.hasSuffix(".pem")
                || name == "sasl.oauthbearer.config" || name == "sasl.jaas.config"
        }
    }

    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every configuration key with its default and environment variable.")

        func run() {
            let defaults = ServiceSettings()
            for key in SettingsKeys.documented {
                print("\(key.name) (\(key.type)), default \(key.value(defaults)), env \(SettingsLoader.variableName(key.name))")
                print("    \(key.help)")
            }
            print("kafka.properties.NAME (string): any librdkafka property, passed through (file only)")
        }
    }
}
