import ArgumentParser
import SpillwaySpool

struct SpoolCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run SQLite's full integrity check on a spool; exits non-zero when it is damaged."
    )

    @OptionGroup var location: SpoolPathOption

    func run() throws {
        let spool = try Spool.openForInspection(path: location.spool, integrityCheck: .full)
        print("ok: \(location.spool) passed the integrity check (\(spool.totals.readyCount) ready, \(spool.totals.deadCount) dead letters)")
    }
}
