import ArgumentParser

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

/// The `--spool PATH` option every spool command takes.
struct SpoolPathOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Path of the spool file.", valueName: "path"))
    var spool: String = SpoolPathOption.defaultPath

    static let defaultPath = "spillway-data/spool.db"
}
