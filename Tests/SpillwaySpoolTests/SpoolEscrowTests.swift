import CSQLite
import Foundation
import SpillwaySpool
import SpillwayTestKit
import SpillwayTestTraits
import Testing

@Suite(.heavyLane) struct SpoolEscrowTests {
    /// Escrow copies are on disk and counted, but replay never sees them; released
    /// ones go, settled ones become ready records or dead letters with fresh ids.
    @Test func escrowCopiesAreHeldApartReleasedOrSettled() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let spool = try SpoolFixtures.open(SpoolFixtures.configuration(directory))
        defer { spool.close() }
        try spool.append(SpoolFixtures.records(0..<2))
        let copies = SpoolFixtures.records(10..<14)
        let kept = try spool.escrow(copies, keys: [101, 102, 103, 104])
        #expect(kept.keptCount == 4 && kept.evictedCount == 0)
        #expect(spool.totals.escrowCount == 4)
        #expect(spool.totals.escrowBytes == copies.reduce(0) { $0 + Spool.cost(of: $1) })
        #expect(spool.totals.readyCount == 2, "escrow copies are not ready records")
        #expect(try spool.readOldest(limit: 100).compactMap { SpoolFixtures.index(of: $0.record) } == [0, 1], "replay never reads escrow")

        #expect(try spool.releaseEscrow(keys: [101, 999]) == 1, "an unknown key is skipped")
        #expect(try spool.settleEscrow([(102, false), (103, true)], as: .ready) == 2)
        #expect(try spool.settleEscrow([(104, false)], as: .deadLetter(reason: "MSG_SIZE_TOO_LARGE")) == 1)
        #expect(try spool.settleEscrow([(102, false)], as: .ready) == 0, "settled once")
        #expect(spool.totals.escrowCount == 0 && spool.totals.escrowBytes == 0)

        let ready = try spool.readOldest(limit: 100)
        #expect(ready.compactMap { SpoolFixtures.index(of: $0.record) } == [0, 1, 11, 12])
        #expect(ready.map(\.record.possiblyPersisted) == [false, false, false, true])
        #expect(ready.map(\.id) == [1, 2, 3, 4], "settled copies get fresh spool ids, after every earlier record")
        #expect(ready[2].record == copies[1], "the copy is the record, byte for byte")
        let dead = try spool.records(matching: SpoolQuery(area: .deadLetters), limit: 10)
        #expect(dead.map(\.deadLetterReason) == ["MSG_SIZE_TOO_LARGE"])
        #expect(dead.first.flatMap { SpoolFixtures.index(of: $0.record) } == 13)
        #expect(spool.totals.readyCount == 4 && spool.totals.deadCount == 1)
    }

    /// A pass's outcomes (releases, copies to ready records, copies to dead letters
    /// under several reasons) are one transaction: a failure in its last step
    /// leaves the file and the totals as they were before the pass, and the same
    /// pass applies whole once the failure is gone.
    @Test func aPassOfEscrowOutcomesAppliesWholeOrNotAtAll() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = SpoolFixtures.configuration(directory)
        let spool = try Spool.open(configuration)
        defer { spool.close() }
        try spool.append(SpoolFixtures.records(0..<1))
        _ = try spool.escrow(SpoolFixtures.records(1..<6), keys: [1, 2, 3, 4, 5])
        let before = spool.totals

        // Dead letters under the second reason fail to go in, after everything else of the pass ran.
        try SpoolOpeningTests.execute(configuration.path, """
            CREATE TRIGGER fail_second_reason BEFORE INSERT ON dead_letters WHEN NEW.reason = 'RECORD_TOO_LARGE'
            BEGIN SELECT RAISE(ABORT, 'injected failure'); END;
            """)
        let releases: [Int64] = [1]
        let toReady: [(key: Int64, possiblyPersisted: Bool)] = [(2, true)]
        let toDeadLetters: [(key: Int64, possiblyPersisted: Bool, reason: String)] = [
            (3, false, "INVALID_RECORD"), (4, false, "RECORD_TOO_LARGE"),
        ]
        #expect(throws: SpoolError.self) {
            try spool.applyEscrowOutcomes(releases: releases, toReady: toReady, toDeadLetters: toDeadLetters)
        }
        #expect(spool.totals == before, "the totals in memory are those before the pass")
        #expect(try SpoolOpeningTests.query(configuration.path, "SELECT count(*) FROM escrow") == "5", "no copy released or moved")
        #expect(try SpoolOpeningTests.query(configuration.path, "SELECT count(*) FROM records") == "1")
        #expect(try SpoolOpeningTests.query(configuration.path, "SELECT count(*) FROM dead_letters") == "0")
        #expect(
            try SpoolOpeningTests.query(configuration.path, "SELECT escrow_count || ' ' || ready_count || ' ' || dead_count || ' ' || next_id FROM spool_totals")
                == "5 1 0 \(before.nextID)",
            "the totals in the file are those before the pass"
        )

        try SpoolOpeningTests.execute(configuration.path, "DROP TRIGGER fail_second_reason")
        let applied = try spool.applyEscrowOutcomes(releases: releases, toReady: toReady, toDeadLetters: toDeadLetters)
        #expect(applied.released == 1 && applied.moved == 3)
        #expect(spool.totals.escrowCount == 1 && spool.totals.readyCount == 2 && spool.totals.deadCount == 2)
        #expect(try spool.readOldest(limit: 10).map(\.record.possiblyPersisted) == [false, true])
        let dead = try spool.records(matching: SpoolQuery(area: .deadLetters), limit: 10)
        #expect(Set(dead.compactMap(\.deadLetterReason)) == ["INVALID_RECORD", "RECORD_TOO_LARGE"])
    }

    /// Copies a run did not settle (it crashed) become ready records at the next
    /// open, marked possibly persisted, and are counted like any record there.
    @Test func copiesLeftByARunBecomeReadyRecordsAtTheNextOpen() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let configuration = SpoolFixtures.configuration(directory)
        do {
            let spool = try SpoolFixtures.open(configuration)
            try spool.append(SpoolFixtures.records(0..<1))
            _ = try spool.escrow(SpoolFixtures.records(1..<4), keys: [7, 8, 9])
            try spool.releaseEscrow(keys: [8])
            spool.close()
        }
        let inspected = try Spool.openForInspection(path: configuration.path)
        #expect(inspected.totals.escrowCount == 2, "inspection changes nothing")
        #expect(try inspected.statistics().escrowCount == 2, "and says they are there")
        let spool = try SpoolFixtures.open(configuration)
        defer { spool.close() }
        #expect(spool.totals.escrowCount == 0)
        #expect(spool.totals.readyCount == 3)
        let ready = try spool.readOldest(limit: 10)
        #expect(ready.compactMap { SpoolFixtures.index(of: $0.record) } == [0, 1, 3])
        #expect(ready.map(\.record.possiblyPersisted) == [false, true, true])
    }

    /// Escrow copies count against the bounds: they make room by evicting the
    /// oldest ready records, and are never evicted themselves.
    @Test func escrowCopiesCountAgainstTheBoundsAndAreNeverEvicted() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let spool = try SpoolFixtures.open(SpoolFixtures.configuration(directory, maxRecords: 5))
        defer { spool.close() }
        try spool.append(SpoolFixtures.records(0..<4))
        let first = try spool.escrow(SpoolFixtures.records(10..<12), keys: [1, 2])
        #expect(first.keptCount == 2 && first.evictedCount == 1, "one ready record made room")
        #expect(spool.totals.heldCount == 5)
        let result = try spool.append(SpoolFixtures.records(20..<24))
        #expect(spool.totals.escrowCount == 2, "appends evict ready records, not escrow copies")
        #expect(spool.totals.readyCount == 3)
        #expect(result.evictedCount == 4)
        // Only escrow copies left to make room with: the batch's own oldest are not written.
        let second = try spool.escrow(SpoolFixtures.records(30..<36), keys: [3, 4, 5, 6, 7, 8])
        #expect(second.keptCount == 3 && second.evictedCount == 3)
        #expect(spool.totals.escrowCount == 5 && spool.totals.readyCount == 0)
        #expect(try spool.releaseEscrow(keys: [3, 4, 5]) == 0, "the unwritten ones are not there")
        #expect(try spool.releaseEscrow(keys: [6, 7, 8]) == 3)
    }

    /// A writer killed with SIGKILL right after an escrow commit loses no copy it
    /// reported: the next open turns every one into a ready record.
    @Test func killedWriterLosesNoCommittedEscrowCopy() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.db")
        let writer = try ChildProcess(BuiltProducts.path(of: "spool-writer"), ["escrow", path, "100000", "200", "300"])
        // Reading the child's output and waiting for it block: on a thread of their own.
        let committed = await offThePool { () -> Int in
            var committed = 0
            while committed < 5, let line = writer.readLine() {
                if line.hasPrefix("escrowed ") { committed += 1 }
            }
            writer.kill(SIGKILL)
            writer.wait()
            return committed
        }
        #expect(writer.process.terminationReason == .uncaughtSignal)
        #expect(committed == 5)
        var configuration = SpoolConfiguration(path: path)
        configuration.integrityCheck = .full
        let spool = try SpoolFixtures.open(configuration, options: .maintenance)
        defer { spool.close() }
        let records = try spool.readOldest(limit: 1_000_000)
        #expect(records.count % 200 == 0, "no partial batch")
        #expect(records.count >= 5 * 200, "every reported escrow commit survived")
        #expect(records.allSatisfy { $0.record.possiblyPersisted })
        #expect(spool.totals.escrowCount == 0)
    }
}
