import Foundation
@testable import SpillwaySpool
import SpillwayTestKit
import Testing

/// The writer lock's descriptor is closed exactly once, whoever releases it and
/// however often: a second `close` of the same number could close a descriptor
/// another thread has been given since (glibc aborts when that is its own).
@Suite struct SpoolLockTests {
    @Test func releasingAgainLeavesADescriptorOpenedSinceAlone() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let lock = try SpoolLock(spoolPath: directory.file("spool.db"))
        lock.release()
        // The number just freed is the lowest free one: an open now is likely to get it.
        let since = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(since) }
        lock.release()
        lock.abandon()
        #expect(fcntl(since, F_GETFD) != -1, "a second release closed a descriptor it did not own")
    }

    @Test func concurrentReleasesCloseOnceAndFreeTheLock() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        for _ in 0..<200 {
            // No child another test is starting may hold the last round's lock (see `SpoolFixtures.open`).
            ChildProcess.waitForSpawnsInProgress()
            nonisolated(unsafe) let lock = try SpoolLock(spoolPath: path)
            DispatchQueue.concurrentPerform(iterations: 4) { _ in lock.release() }
            let since = open("/dev/null", O_RDONLY | O_CLOEXEC)
            lock.release()
            #expect(fcntl(since, F_GETFD) != -1, "a late release closed a descriptor it did not own")
            close(since)
            // Released for good: it can be taken again.
            ChildProcess.waitForSpawnsInProgress()
            try SpoolLock(spoolPath: path).release()
        }
    }
}
