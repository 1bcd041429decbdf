import Foundation
import SpillwaySpool
import SpillwayTestKit
import Testing

/// Issue 13 items 10 and 15: read-only commands write nothing, not even SQLite's
/// side files, and say which bytes they count.
@Suite struct ReadOnlyCommandTests {
    static let readOnlyCommands: [[String]] = [
        ["spool", "stats"], ["spool", "stats", "--json"], ["spool", "list"], ["spool", "peek", "1"],
        ["spool", "export"], ["spool", "check"], ["replay", "--dry-run"], ["spool", "purge", "--all"],
    ]

    static func run(_ command: [String], spool path: String) async throws -> CLI.Result {
        try await CLI.run(command + ["--spool", path])
    }

    @Test(.enabled(if: try Prerequisites.canWriteProtect, "needs write protection: as root, the temporary folder's file system must support the immutable flag (chattr +i)"))
    func readOnlyCommandsWorkOnAnUnwritableSpoolInAnUnwritableFolder() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        try SpoolFixtures.varied(at: path)
        let before = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        try await WriteProtection.withUnwritable([path, directory.path]) {
            for command in Self.readOnlyCommands {
                let result = try await Self.run(command, spool: path)
                // `purge` without --yes only counts, and says so with a non-zero exit.
                if command.contains("purge") {
                    CLI.expectOneLineError(result, containing: "would purge 33 records")
                } else {
                    #expect(result.status == 0, "\(command): \(result.stderr)")
                }
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == before)
    }

    @Test func readOnlyCommandsLeaveNoFilesInAWritableFolder() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        try SpoolFixtures.varied(at: path)
        let before = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        for command in Self.readOnlyCommands {
            _ = try await Self.run(command, spool: path)
            let after = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            #expect(after == before, "\(command) left \(Set(after).subtracting(before))")
        }
    }

    @Test func commandsLeaveNoLockFileBesideAFileThatIsNotASpool() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let notes = directory.file("notes.txt")
        try Data("just some notes\n".utf8).write(to: URL(fileURLWithPath: notes))
        CLI.expectOneLineError(try await CLI.run("spool", "purge", "--all", "--yes", "--spool", notes), containing: "is not a Spillway spool")
        CLI.expectOneLineError(try await CLI.run("spool", "import", "--spool", notes, "/dev/null"), containing: "is not a Spillway spool")
        CLI.expectOneLineError(try await CLI.run("replay", "--spool", notes, "--kafka", "127.0.0.1:1"), containing: "is not a Spillway spool")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["notes.txt"])
    }

    /// `replay --dry-run` counts what goes to Kafka (payload); `spool stats` what the
    /// spool stores (payload plus per-record overhead). Each says which.
    @Test func dryRunAndStatsSayWhichBytesTheyCount() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        let spool = try SpoolFixtures.open(SpoolConfiguration(path: path))
        let records = (0..<2).map { Record(topic: "t", value: Array("0123456789".utf8), timestamp: 1_764_000_000_000 + Int64($0)) }
        try spool.append(records)
        spool.close()
        let payload = records.reduce(0) { $0 + $1.payloadSize }
        let stored = records.reduce(0) { $0 + Spool.cost(of: $1) }
        #expect(payload == 22 && stored == 102)

        let dryRun = try await CLI.run("replay", "--dry-run", "--spool", path)
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("t: 2 records, 22 B of payload"), "\(dryRun.stdout)")
        let stats = try await CLI.run("spool", "stats", "--spool", path)
        #expect(stats.status == 0, "\(stats.stderr)")
        #expect(stats.stdout.contains("2 records, 102 B stored"), "\(stats.stdout)")
        #expect(stats.stdout.contains("stored bytes are payload plus"), "\(stats.stdout)")
        let json = try await CLI.run("spool", "stats", "--spool", path, "--json")
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(document?["ready_bytes"] as? Int == stored)
    }
}
