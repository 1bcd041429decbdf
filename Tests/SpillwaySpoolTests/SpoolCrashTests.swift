import Foundation
import SpillwaySpool
import SpillwayTestKit
import SpillwayTestTraits
import Testing

@Suite(.heavyLane) struct SpoolCrashTests {
    /// A writer killed with SIGKILL mid-append leaves a spool that opens, passes
    /// the integrity check, and holds every committed batch and no partial one.
    @Test(arguments: [1, 2, 3])
    func killedWriterLosesNoCommittedBatchAndLeavesNoPartialOne(round: Int) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        let batchSize = 500
        let writer = try ChildProcess(BuiltProducts.path(of: "spool-writer"), ["append", path, "100000", "\(batchSize)", "\(200 * round)"])
        // Let it commit a few batches, then kill it straight after a commit report,
        // while the next batch's transaction is being written: on a thread of its own,
        // reading the child's output and waiting for it block.
        let committedBatches = await offThePool { () -> Int in
            var committed = 0
            while committed < 3 + round, let line = writer.readLine() {
                if line.hasPrefix("committed ") { committed += 1 }
            }
            writer.kill(SIGKILL)
            writer.wait()
            return committed
        }
        #expect(writer.process.terminationReason == .uncaughtSignal)
        #expect(committedBatches == 3 + round)

        // Opening takes the lock (the kernel released the dead writer's) and runs the integrity check.
        var configuration = SpoolConfiguration(path: path)
        configuration.integrityCheck = .full
        let spool = try SpoolFixtures.open(configuration, options: .maintenance)
        #expect(spool.quarantinedPath == nil)
        let records = try spool.readOldest(limit: 1_000_000)
        #expect(records.count == spool.totals.readyCount)
        #expect(records.count % batchSize == 0, "no partial batch")
        #expect(records.count / batchSize >= committedBatches, "every reported commit survived")
        // Batches are whole and in order: batch b holds records b r0 … r(n-1).
        for (position, spooled) in records.enumerated() {
            let expected = "b\(position / batchSize)r\(position % batchSize):"
            #expect(spooled.record.value?.starts(with: Array(expected.utf8)) == true)
        }
    }

    /// A full disk fails the append with `diskFull` (counted as dropped by the
    /// caller), and the spool works again once space returns. Runs the writer on
    /// a 2 MiB tmpfs in its own mount namespace, so it needs no root and leaves nothing mounted.
    @Test(.enabled(if: try Prerequisites.canUnshareUserNamespace, "needs user namespaces (unshare --user --map-root-user --mount) to mount a small tmpfs"))
    func fullDiskFailsTheAppendAndRecoversWhenSpaceReturns() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let mountPoint = directory.file("small-disk")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let script = """
            mount -t tmpfs -o size=2m tmpfs "$1" || exit 90
            head -c 1400000 /dev/zero > "$1/filler"
            exec "$2" fill-disk "$1/spool.db" "$1/filler"
            """
        let result = try await ChildProcess.runOffThePool(Prerequisites.unsharePath, ["--user", "--map-root-user", "--mount", "/bin/sh", "-c", script, "sh", mountPoint, BuiltProducts.path(of: "spool-writer")])
        try #require(result.status != 90, "this test needs user namespaces to mount a small tmpfs: \(result.stderr)")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("full no space left on the disk holding spool") == true, "\(result.stdout)")
        #expect(lines.last?.hasPrefix("recovered ") == true, "\(result.stdout)")
    }
}
