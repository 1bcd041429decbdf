import ArgumentParser
import Logging
import SpillwaySpool

/// `spool check`: what the other commands and the service would trip on, each
/// problem on a line of its own, and a non-zero exit when there is any.
/// `--repair` fixes what can be rebuilt from the rows.
struct SpoolCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a spool: SQLite's full integrity check, then its totals and next id against its rows; exits non-zero when anything is wrong.",
        discussion: """
            Each problem is printed on a line of its own. --repair rebuilds the totals and the next id from the rows \
            (what every command that writes, and the service, also do when they open the spool); it takes the writer \
            lock, so stop the service first.
            """
    )

    @OptionGroup var location: SpoolPathOption
    @Flag(help: "Rebuild the totals and the next id from the rows, saying what changed (takes the writer lock).")
    var repair = false

    func run() throws {
        if repair { return try runRepair() }
        let spool = try Spool.openForInspection(path: location.spool, integrityCheck: .full)
        defer { spool.close() }
        // One line per problem, each check adding its own (checks of the rows themselves go here too).
        var problems: [String] = []
        problems += try spool.auditTotals().problems.map { "totals: \($0)" }
        guard problems.isEmpty else {
            for problem in problems { print(problem) }
            throw CLIError(
                "spool at \(location.spool) has \(plural(problems.count, "problem")) (listed above); "
                    + "`spillway spool check --repair --spool \(location.spool)` rebuilds the totals from the rows"
            )
        }
        print("ok: \(location.spool) passed the integrity check, and its totals agree with its rows (\(spool.totals.readyCount) ready, \(spool.totals.deadCount) dead letters)")
    }

    /// Opening for writing rebuilds the totals; this says what it rebuilt, on
    /// standard output, instead of the warning the open would log.
    private func runRepair() throws {
        var quiet = Logger(label: "spillway.spool")
        quiet.logLevel = .error
        let spool = try Spool.open(SpoolConfiguration(path: location.spool, integrityCheck: .full), options: .maintenance, logger: quiet)
        defer { spool.close() }
        let repaired = spool.totalsRepairedAtOpen
        guard !repaired.isEmpty else {
            print("nothing to repair: \(location.spool) passed the integrity check, and its totals agree with its rows")
            return
        }
        for problem in repaired {
            print("rebuilt \(problem.column): was \(problem.stored), now \(problem.rebuilt) (\(problem.reason))")
        }
        print("repaired: \(location.spool) has \(spool.totals.readyCount) ready, \(spool.totals.deadCount) dead letters; the next record gets id \(spool.totals.nextID)")
    }
}
