@testable import Spillway
import SpillwaySpool
import Testing

@Suite struct EscrowBookTests {
    static func pending(_ id: UInt64, size: Int = 10) -> PendingRecord {
        PendingRecord(id: id, record: Record(topic: "t", value: Array("id-\(id)".utf8), timestamp: 0), ack: .kafka, size: size)
    }

    @Test func aCopyIsQueuedWrittenCommittedAndReleased() {
        var book = EscrowBook()
        book.enqueue(Self.pending(1))
        book.enqueue(Self.pending(2))
        #expect(book.queuedCount == 2 && book.queuedBytes == 20)
        #expect(book.phase(of: 1) == .queued)
        let batch = book.take(max: 10)
        #expect(batch.map(\.id) == [1, 2])
        #expect(book.phase(of: 1) == .writing && book.writingCount == 2 && book.queuedBytes == 0)
        book.wrote([1])
        book.failed([2])
        #expect(book.isCommitted(1))
        #expect(book.phase(of: 2) == .unwritten)
        book.release(1)
        book.release(2)
        #expect(book.count == 0)
        let bookkeeping = book.takeBookkeeping()
        #expect(bookkeeping.releases == [1], "only a written copy has a row to delete")
        #expect(book.isIdle)
    }

    /// Released before it was written: never written. Released while being written:
    /// deleted once the write commits.
    @Test func releasedCopiesAreSkippedOrDeletedOnceWritten() {
        var book = EscrowBook()
        for id in 1...3 { book.enqueue(Self.pending(UInt64(id))) }
        book.release(1)
        let batch = book.take(max: 1)
        #expect(batch.map(\.id) == [2], "1 was released before it was taken")
        book.release(2)
        book.wrote([2])
        #expect(book.takeBookkeeping().releases == [2])
        #expect(book.take(max: 5).map(\.id) == [3])
        book.release(3)
        book.failed([3])
        #expect(book.takeBookkeeping().isEmpty, "a copy that was never written needs no delete")
        #expect(book.count == 0 && book.isIdle)
    }

    /// A copy is written only once due; one released before (Kafka answered first)
    /// leaves the queue unwritten, at once when it is at the front.
    @Test func copiesAreTakenOnlyOnceDueAndReleasedOnesLeaveUnwritten() {
        var book = EscrowBook()
        let start = ContinuousClock.now
        for id in 1...4 { book.enqueue(Self.pending(UInt64(id)), due: start + .milliseconds(100 * id)) }
        let dueAtStart = book.hasCopyDue(by: start)
        let takenAtStart = book.take(max: 10, dueBy: start)
        #expect(!dueAtStart && takenAtStart.isEmpty, "nothing is due yet")
        book.release(1)
        #expect(book.queuedCount == 3 && book.queuedBytes == 30 && book.phase(of: 1) == nil, "released at the front: gone at once")
        book.release(3)
        #expect(book.queuedCount == 3, "released behind a copy still needed: stays until it reaches the front")
        let dueAt200 = book.hasCopyDue(by: start + .milliseconds(200))
        #expect(dueAt200)
        let takenAt250 = book.take(max: 10, dueBy: start + .milliseconds(250))
        #expect(takenAt250.map(\.id) == [2])
        let dueAt350 = book.hasCopyDue(by: start + .milliseconds(350))
        #expect(!dueAt350, "3 was released; 4 is due at 400 ms")
        #expect(book.queuedCount == 1)
        let takenAt400 = book.take(max: 10, dueBy: start + .milliseconds(400))
        #expect(takenAt400.map(\.id) == [4])
        let rest = book.take(max: 10)
        #expect(rest.isEmpty && book.queuedCount == 0)
    }

    /// One copy Kafka is slow to answer holds the queue's front: the thousands
    /// released behind it neither count as waiting nor pile up in memory.
    @Test func releasedCopiesBehindASlowOneDoNotCountAndDoNotPileUp() {
        var book = EscrowBook()
        let due = ContinuousClock.now + .seconds(60)
        book.enqueue(Self.pending(1), due: due)
        for id in 2...5000 {
            book.enqueue(Self.pending(UInt64(id)), due: due)
            book.release(UInt64(id))
        }
        #expect(book.waitingCount == 1 && book.waitingBytes == 10)
        #expect(book.queuedCount <= 1 + 1025, "released copies are dropped once they outnumber the needed ones")
        let taken = book.take(max: 10)
        #expect(taken.map(\.id) == [1] && book.queuedCount == 0 && book.waitingCount == 0 && book.queuedBytes == 0)
    }

    @Test func committedCopiesSettleIntoReadyRecordsOrDeadLetters() {
        var book = EscrowBook()
        for id in 1...2 { book.enqueue(Self.pending(UInt64(id))) }
        _ = book.take(max: 5)
        book.wrote([1, 2])
        book.settle(1, possiblyPersisted: true)
        book.settle(2, possiblyPersisted: false, deadLetterReason: "MSG_SIZE_TOO_LARGE")
        #expect(!book.isCommitted(1) && !book.isCommitted(2))
        #expect(!book.isIdle, "the spool loop has work")
        let bookkeeping = book.takeBookkeeping()
        #expect(bookkeeping.toReady.map(\.key) == [1] && bookkeeping.toReady.map(\.possiblyPersisted) == [true])
        #expect(bookkeeping.toDeadLetters.map(\.reason) == ["MSG_SIZE_TOO_LARGE"])
        #expect(book.isIdle && book.count == 0)
    }
}
