import ArgumentParser
import Foundation
import SpillwaySpool

struct SpoolPurgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Delete records from a spool for good. Needs --yes; without it, says what it would delete.",
        discussion: "Takes the writer lock, so stop the service first."
    )

    @OptionGroup var location: SpoolPathOption
    @Option(help: "Only records of this topic.") var topic: String?
    @Option(help: "Only records created before this time: 10m, 2h, 3d ago, an ISO 8601 time, or epoch milliseconds.")
    var before: TimeArgument?
    @Flag(help: "Purge dead letters instead of records waiting for replay.") var dead = false
    @Flag(help: "Purge everything: records waiting for replay and dead letters.") var all = false
    @Flag(help: "Really delete.") var yes = false

    func validate() throws {
        if dead && all { throw ValidationError("--dead and --all exclude each other") }
        if topic == nil && before == nil && !dead && !all {
            throw ValidationError("say what to purge: --topic, --before, --dead or --all")
        }
    }

    func run() throws {
        let query = SpoolQuery(area: all ? .all : (dead ? .deadLetters : .ready), topic: topic, before: before?.milliseconds)
        guard yes else {
            // Only counting: works beside a running service.
            let spool = try Spool.openForInspection(path: location.spool)
            defer { spool.close() }
            let count = try spool.count(matching: query)
            throw CLIError("would purge \(plural(count, "record")) from \(location.spool); run again with --yes to delete them")
        }
        let spool = try Spool.open(SpoolConfiguration(path: location.spool), options: .maintenance)
        defer { spool.close() }
        let purged = try spool.purge(matching: query)
        print("purged \(plural(purged.count, "record")) (\(ByteCount.format(purged.bytes))) from \(location.spool)")
    }
}
