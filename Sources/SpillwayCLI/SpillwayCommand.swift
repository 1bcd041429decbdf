import ArgumentParser
import Logging

/// The `spillway` command: the service and the tools operators use around it.
@main
struct SpillwayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spillway",
        abstract: "A never-blocking, self-healing writer for nice-to-have Kafka data.",
        version: SpillwayVersion.description,
        subcommands: [ServeCommand.self, StatusCommand.self, TopCommand.self, BreakerCommand.self, BacklogCommand.self, ReplayCommand.self, ConfigCommand.self, SpoolCommand.self]
    )

    /// Bootstraps logging once, then runs the chosen command. Tools log warnings
    /// and errors only, to standard error, so their output stays clean.
    static func main() async {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
