import ArgumentParser
import Logging
import SpillwaySpool

/// `spool check`: what the other commands and the service would trip on, each
/// problem on a line of its own, and a non-zero exit when there is any.
/// `--repair` fixes what can be rebuilt from the rows.
struct SpoolCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a spool: SQLite's full integrity check, its totals and next id against its rows, and every row by the rules intake applies; exits non-zero when anything is wrong.",
        discussion: """
            Each problem is printed on a line of its own, with the record's id. A ready record that breaks the rules \
            (a topic Kafka would refuse, a partition or timestamp out of range, malformed headers, a value of the wrong \
            type, more bytes than --max-record-bytes) is moved to the dead letters when replay reaches it.

            Dead letters that break them are listed as notes: they are never sent, and export leaves them out.

            --repair rebuilds the totals and the next id from the rows (what every command that writes, and the \
            service, also do when they open the spool), renumbers stray rows, and moves ready records that break the \
            rules to the dead letters now; it takes the writer lock, so stop the service first.
            """
    )

    @OptionGroup var location: SpoolPathOption
    @Flag(help: "Rebuild the totals and the next id from the rows, renumber rows with ids at or below 0 or shared with a dead letter, and move ready records that break the rules to the dead letters, saying what changed (takes the writer lock).")
    var repair = false
    @Option(help: "The record size limit to check rows against: the service's max_record_bytes (by default the largest it accepts).")
    var maxRecordBytes: Int = SpoolRowRules.largestRecordBytes

    func validate() throws {
        guard maxRecordBytes > 0 else { throw ValidationError("--max-record-bytes must be at least 1") }
    }

    private var rules: SpoolRowRules { SpoolRowRules(maxRecordBytes: maxRecordBytes) }

    /// Which record size limit the rows were held against, for the verdict.
    private var limitNote: String {
        maxRecordBytes == SpoolRowRules.largestRecordBytes
            ? "the largest max_record_bytes the service accepts; --max-record-bytes gives yours"
            : "--max-record-bytes \(maxRecordBytes)"
    }

    func run() throws {
        if repair { return try runRepair() }
        let spool = try Spool.openForInspection(path: location.spool, integrityCheck: .full)
        defer { spool.close() }
        // One line per problem, each check adding its own.
        var problems: [String] = []
        problems += try spool.auditTotals().problems.map { "totals: \($0)" }
        var notes: [String] = []
        for id in try spool.readyIDsSharedWithDeadLetters() {
            problems.append("ready: record \(id): id is also a dead letter's (opening for writing gives the ready record a new id; --repair does it now)")
        }
        for problem in try spool.rowProblems(in: .ready, rules: rules) {
            problems.append(
                problem.field == .id
                    ? "ready: \(problem) (opening for writing gives it a new id; --repair does it now)"
                    : "ready: \(problem) (replay moves it to the dead letters; --repair does it now)"
            )
        }
        for problem in try spool.rowProblems(in: .deadLetters, rules: rules) {
            if problem.field == .id {
                problems.append("dead letter: \(problem) (opening for writing gives it a new id; --repair does it now)")
            } else {
                notes.append("note: dead letter: \(problem) (never sent; export leaves it out)")
            }
        }
        for note in notes { print(note) }
        guard problems.isEmpty else {
            for problem in problems { print(problem) }
            throw CLIError(
                "spool at \(location.spool) has \(plural(problems.count, "problem")) (listed above); "
                    + "`spillway spool check --repair --spool \(location.spool)` fixes them (stop the service first)"
            )
        }
        let totals = spool.totals
        print("ok: \(location.spool) passed the integrity check, its totals agree with its rows, and every ready record can be sent (\(totals.readyCount) ready, \(totals.deadCount) dead letters; sizes held against \(limitNote))")
    }

    /// Opening for writing renumbers rows and rebuilds the totals; this says
    /// what it did, on standard output, instead of the warnings the open would log.
    private func runRepair() throws {
        var quiet = Logger(label: "spillway.spool")
        quiet.logLevel = .error
        var configuration = SpoolConfiguration(path: location.spool, integrityCheck: .full)
        configuration.rowRules = rules
        let spool = try Spool.open(configuration, options: .maintenance, logger: quiet)
        defer { spool.close() }
        let renumbered = spool.rowsRenumberedAtOpen
        let repaired = spool.totalsRepairedAtOpen
        let quarantined = try spool.quarantineInvalidReadyRows()
        guard renumbered > 0 || !repaired.isEmpty || !quarantined.isEmpty else {
            print("nothing to repair: \(location.spool) passed the integrity check, its totals agree with its rows, and every ready record can be sent (sizes held against \(limitNote))")
            return
        }
        if renumbered > 0 {
            print("gave \(plural(renumbered, "row")) new ids after the newest row (ids at or below 0, or shared by a ready record and a dead letter)")
        }
        for problem in repaired {
            print("rebuilt \(problem.column): was \(problem.stored), now \(problem.rebuilt) (\(problem.reason))")
        }
        for problem in quarantined {
            print("moved to the dead letters: \(problem)")
        }
        print("repaired: \(location.spool) has \(spool.totals.readyCount) ready, \(spool.totals.deadCount) dead letters; the next record gets id \(spool.totals.nextID)")
    }
}
