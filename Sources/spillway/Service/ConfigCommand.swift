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
            abstract: "Validate a JSON configuration file (with SPILLWAY_* variables applied) and print the effective settings."
        )

        @Argument(help: "The JSON configuration file.") var file: String

        func run() async throws {
            let settings: ServiceSettings
            do {
                settings = try await SettingsLoader.load(file: file)
            } catch {
                throw CLIError(error.description)
            }
            print("ok: \(file) is valid; effective settings:")
            let width = SettingsKeys.documented.map(\.name.count).max() ?? 0
            for key in SettingsKeys.documented {
                print("  " + key.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + key.value(settings))
            }
            for (property, value) in settings.pipeline.kafka.properties.sorted(by: { $0.key < $1.key }) {
                print("  kafka.properties.\(property) = \(value)")
            }
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
