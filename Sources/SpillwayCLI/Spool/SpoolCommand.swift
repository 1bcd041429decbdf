import ArgumentParser
import Spillway
import SpillwayService

/// `spillway spool …`: look into, export, import and purge a spool file.
struct SpoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool",
        abstract: "Inspect and maintain a spool file.",
        discussion: """
            Read-only commands (stats, list, peek, export, check) work beside a running service. \
            import, purge and check --repair take the writer lock, so stop the service first.
            """,
        subcommands: [
            SpoolStatsCommand.self,
            SpoolListCommand.self,
            SpoolPeekCommand.self,
            SpoolExportCommand.self,
            SpoolImportCommand.self,
            SpoolPurgeCommand.self,
            SpoolCheckCommand.self,
        ]
    )
}

/// The `--spool PATH` and `--cluster NAME` options every spool command takes.
struct SpoolPathOption: ParsableArguments {
    @Option(name: .customLong("spool"), help: ArgumentHelp("Path of the spool file (spool.path).", valueName: "path"))
    var file: String = SpoolPathOption.defaultPath

    @Option(help: ArgumentHelp(
        "A cluster of clusters.NAME: its spool file beside --spool (spool.NAME.db).", valueName: "name"
    ))
    var cluster: String?

    static let defaultPath = "spillway-data/spool.db"

    /// The file to open: `--spool`, or the named cluster's file beside it.
    var spool: String {
        cluster.map { ServiceSettings.spoolPath(file, cluster: $0) } ?? file
    }

    func validate() throws {
        if let cluster, let problem = TopicRoutes.clusterNameProblem(cluster) {
            throw ValidationError("--cluster \(cluster): a cluster's name \(problem)")
        }
    }
}
