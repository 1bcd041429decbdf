import ArgumentParser
import SpillwayAdminContract
import SpillwayService

/// `spillway backlog pause|resume|rate N`.
struct BacklogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backlog",
        abstract: "Pause or resume the live replay of the spool, or set its rate.",
        subcommands: [Pause.self, Resume.self, Rate.self]
    )

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop replaying the spool; live traffic is unaffected.")
        @Option(help: "Only this cluster's replay (default: every cluster's).") var cluster: String?
        @OptionGroup var client: AdminClientOptions

        func run() async throws {
            let replay = try await client.setBacklog(BacklogRequest(paused: true, cluster: cluster))
            print("replay paused\(ClusterScope.describe(replay.clusters, asked: cluster))")
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replay the spool again.")
        @Option(help: "Only this cluster's replay (default: every cluster's).") var cluster: String?
        @OptionGroup var client: AdminClientOptions

        func run() async throws {
            let replay = try await client.setBacklog(BacklogRequest(paused: false, cluster: cluster))
            print("replay resumed\(ClusterScope.describe(replay.clusters, asked: cluster))")
        }
    }

    struct Rate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the replay ceiling in records per second.")

        // Every argument no option takes, so `-5` is read as a number (and refused as one), not as an option.
        @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Records per second.", valueName: "records-per-second"))
        var rate: [String] = []
        @Option(parsing: .unconditional, help: "Bytes per second.") var bytesPerSecond: Double?
        @Option(parsing: .unconditional, help: "The floor of the adaptive rate, records per second (the ceiling lowers it too).") var floor: Double?
        @Option(parsing: .unconditional, help: "Only this cluster's replay (default: every cluster's).") var cluster: String?
        @OptionGroup var client: AdminClientOptions

        func run() async throws {
            guard rate.count == 1, let recordsPerSecond = Double(rate[0]) else {
                throw CLIError(rate.isEmpty
                    ? "give the replay rate in records per second: spillway backlog rate N"
                    : "\"\(rate.joined(separator: " "))\" is not a number of records per second")
            }
            let command = BacklogRequest(recordsPerSecond: recordsPerSecond, bytesPerSecond: bytesPerSecond, minRecordsPerSecond: floor, cluster: cluster)
            if let problem = command.problem() {
                throw CLIError("cannot set the replay rate to \(rate[0]) records per second: \(problem)")
            }
            let replay = try await client.setBacklog(command)
            print("replay ceiling set to \(replay.recordsPerSecond) records/s, floor \(replay.minRecordsPerSecond) records/s\(ClusterScope.describe(replay.clusters, asked: cluster))")
        }
    }
}
