import Foundation
@testable import Spillway
import SpillwaySpool
import SpillwayTestKit
import SpillwayTestTraits
import Testing

/// Acknowledgement levels through the whole pipeline, against librdkafka's mock cluster.
/// Serialized: the timing test measures answers to within 50 ms, and the kill tests
/// block a thread while they read a child's output.
@Suite(.serialized, .heavyLane) struct PipelineAckTests {
    /// Sends `ids` at `level`, 16 waiting at a time, and returns each answer with how long it took.
    static func send(_ harness: PipelineHarness, _ ids: Range<Int>, at level: AckLevel) async -> [Int: (answer: Acknowledgement, took: Duration)] {
        await withTaskGroup(of: (Int, Acknowledgement, Duration).self) { group in
            var answers: [Int: (Acknowledgement, Duration)] = [:]
            for id in ids {
                if id - ids.lowerBound >= 16, let (done, answer, took) = await group.next() { answers[done] = (answer, took) }
                group.addTask {
                    let started = ContinuousClock.now
                    let answer = await harness.buffer.send(topic: harness.topic, key: Array("k\(id)".utf8), value: Array("id-\(id)".utf8), ack: level)
                    return (id, answer, ContinuousClock.now - started)
                }
            }
            for await (done, answer, took) in group { answers[done] = (answer, took) }
            return answers
        }
    }

    /// Every `kafka` answer carries where Kafka put the record, and a reader finds it there.
    @Test func kafkaLevelReturnsTheOffsetAReaderFindsTheRecordAt() async throws {
        try await withPipeline(partitions: 3) { harness in
            // Until the delivery loop first lets records through, they go to the spool.
            harness.send(1000..<1010)
            try await harness.waitFor("warm-up delivered") { $0.ledger.delivered == 10 }
            let answers = await Self.send(harness, 0..<60, at: .kafka)
            #expect(answers.count == 60)
            for (id, (answer, _)) in answers {
                #expect(answer.disposition == .delivered && answer.reached == .kafka && answer.reason == nil, "id-\(id): \(answer)")
            }
            try await harness.stop()
            let records = try await KafkaTopicReader.read(bootstrapServers: harness.cluster.bootstrapServers, topic: harness.topic)
            let byPosition = Dictionary(records.map { ("\($0.partition)/\($0.offset)", $0) }, uniquingKeysWith: { first, _ in first })
            for (id, (answer, _)) in answers {
                let found = byPosition["\(answer.partition ?? -1)/\(answer.offset ?? -1)"]
                #expect(found.map { String(decoding: $0.value ?? [], as: UTF8.self) } == "id-\(id)", "id-\(id) answered at \(answer.partition.map(String.init) ?? "-")/\(answer.offset.map(String.init) ?? "-")")
            }
            #expect(Set(answers.values.compactMap(\.answer.partition)).count > 1, "keys spread over the partitions")
            let status = harness.buffer.status()
            #expect(status.spool.escrowCount == 0, "every escrow copy was released")
            #expect(status.spool.readyCount == 0, "and none was spooled as well")
            #expect(status.acks.accepted(.kafka) == 60)
            #expect(status.acks.answered(.kafka) == 60 && status.acks.pendingRecords == 0)
            #expect(status.ledger.delivered == 70 && status.ledger.imbalance == 0)
        }
    }

    /// Hands `id` over as `send(…, ack:)` does, and returns the answer with the
    /// time from the hand-over to the moment the pipeline delivered it: measured
    /// on the pipeline's thread, so a test executor busy with other tests does
    /// not count against the pipeline.
    static func sendTimedByThePipeline(_ harness: PipelineHarness, _ id: Int, at level: AckLevel) async -> (answer: Acknowledgement, took: Duration) {
        let started = ContinuousClock.now
        return await withCheckedContinuation { continuation in
            let recipient = AckRecipient.callback { answer in continuation.resume(returning: (answer, ContinuousClock.now - started)) }
            let immediate = harness.buffer.handOver(
                topic: harness.topic, key: Array("k\(id)".utf8), value: Array("id-\(id)".utf8), headers: [], partition: nil,
                ack: level, to: recipient, at: started
            )
            if let immediate { recipient.deliver(immediate) }
        }
    }

    /// A hung cluster: each caller at `kafka` is answered at its deadline, by the
    /// pipeline's own timer, with what its record had reached by then (its escrow
    /// copy on disk, or only memory: which one is a race between the disk and the
    /// timer that a loaded machine decides, so both are allowed here and the next
    /// test fixes the order); the records are still delivered once Kafka recovers.
    ///
    /// The hang lasts until the test ends it, and librdkafka's message timeout is
    /// longer than the test, so no other timer answers first.
    @Test func kafkaLevelWithAHungBrokerIsAnsweredAtItsDeadline() async throws {
        let timeout = Duration.milliseconds(500)
        try await withPipeline(configure: {
            $0.ack.timeout = timeout
            $0.kafka.messageTimeout = Self.longerThanTheTest
        }) { harness in
            harness.buffer.setBreakerMode(.forcedClosed)
            harness.send(0..<20)
            try await harness.waitFor("warm-up delivered") { $0.ledger.delivered == 20 }
            harness.cluster.setRoundTripTime(milliseconds: Self.hang)
            let timed = await withTaskGroup(of: (Int, Acknowledgement, Duration).self) { group in
                for id in 20..<44 { group.addTask { let (answer, took) = await Self.sendTimedByThePipeline(harness, id, at: .kafka); return (id, answer, took) } }
                return await group.reduce(into: [(Int, Acknowledgement, Duration)]()) { $0.append($1) }
            }
            let callers = await Self.send(harness, 44..<52, at: .kafka)
            #expect(timed.count == 24 && callers.count == 8)
            let reachedByTheDeadline = [
                Acknowledgement(disposition: .spooled, reached: .spool, reason: .timeout),
                Acknowledgement(disposition: .queued, reached: .memory, reason: .timeout),
            ]
            for (id, answer, took) in timed {
                #expect(reachedByTheDeadline.contains(answer), "id-\(id): \(answer)")
                #expect(took >= timeout, "id-\(id) answered before its deadline, after \(took)")
                // Measured on the pipeline's thread: a deadline served by a loop's
                // round, not by some slower cadence (Kafka's, the disk's).
                #expect(took < timeout + .milliseconds(250), "id-\(id) answered by the pipeline after \(took)")
            }
            // Through the public API the callers' times include the shared executor's
            // scheduling: only the lower bound says something about the pipeline.
            for (id, (answer, took)) in callers {
                #expect(reachedByTheDeadline.contains(answer), "id-\(id): \(answer)")
                #expect(took >= timeout, "id-\(id) answered before its deadline, after \(took)")
            }
            #expect(harness.buffer.status().acks.answered(.kafka, reason: .timeout) == 32)
            Self.endTheHang(harness.cluster)
            try await harness.waitFor("delivered after the hang", timeout: .seconds(60)) { $0.ledger.delivered == 52 && $0.spool.escrowCount == 0 }
            try await harness.stop()
            #expect(Set(try await harness.deliveredIDs()) == Set(0..<52))
        }
    }

    /// A caller whose deadline passes once its record's escrow copy is on disk is
    /// answered `spooled`, and the record is still delivered when Kafka recovers.
    ///
    /// The order is the test's, not a race: the acknowledgement timeout is longer
    /// than the test, the test awaits the copies on disk (they stay there while
    /// Kafka hangs), and only then brings the deadline as the loops' timer would.
    @Test func kafkaLevelPastItsDeadlineWithItsCopyOnDiskIsAnsweredSpooled() async throws {
        try await withPipeline(configure: {
            $0.ack.timeout = Self.longerThanTheTest
            // Copies are written once a record has waited this long (by default a
            // quarter of the timeout, here longer than the test).
            $0.ack.escrowDelay = .milliseconds(50)
            $0.kafka.messageTimeout = Self.longerThanTheTest
        }) { harness in
            harness.buffer.setBreakerMode(.forcedClosed)
            harness.send(0..<20)
            try await harness.waitFor("warm-up delivered") { $0.ledger.delivered == 20 }
            harness.cluster.setRoundTripTime(milliseconds: Self.hang)
            let callers = Task { await Self.send(harness, 20..<36, at: .kafka) }
            try await harness.waitFor("copies on disk, callers waiting") { $0.spool.escrowCount == 16 && $0.acks.pendingRecords == 16 }
            harness.buffer.core.controls.expireAckWaiters(asOf: .now + Self.longerThanTheTest)
            let answers = await callers.value
            #expect(answers.count == 16)
            for (id, (answer, _)) in answers {
                #expect(answer == Acknowledgement(disposition: .spooled, reached: .spool, reason: .timeout), "id-\(id): \(answer)")
            }
            #expect(harness.buffer.status().spool.escrowCount == 16, "the copies stay on disk while Kafka hangs")
            Self.endTheHang(harness.cluster)
            try await harness.waitFor("delivered after the hang", timeout: .seconds(60)) { $0.ledger.delivered == 36 && $0.spool.escrowCount == 0 }
            try await harness.stop()
            #expect(Set(try await harness.deliveredIDs()) == Set(0..<36))
        }
    }

    /// Past `ack.maxPendingRecords` callers are answered at once, as at `memory`.
    ///
    /// "At once" without a clock: Kafka hangs until the test ends the hang, and
    /// neither the acknowledgement timeout nor librdkafka's message timeout can
    /// fire during the test, so the five waiting callers stay waiting until the
    /// test acts, and a refused caller answered at all was answered without waiting.
    @Test func pastTheWaitingBoundCallersAreAnsweredAtOnceWithAckCapacity() async throws {
        try await withPipeline(configure: {
            $0.ack = AckConfiguration(timeout: Self.longerThanTheTest, maxPendingRecords: 5, maxPendingBytes: 1 << 20)
            $0.kafka.messageTimeout = Self.longerThanTheTest
        }) { harness in
            harness.buffer.setBreakerMode(.forcedClosed)
            harness.send(0..<10)
            try await harness.waitFor("warm-up delivered") { $0.ledger.delivered == 10 }
            harness.cluster.setRoundTripTime(milliseconds: Self.hang)
            // Five callers wait (Kafka hangs); the next ones cannot.
            let waiting = Task { await Self.send(harness, 10..<15, at: .kafka) }
            try await harness.waitFor("five callers waiting") { $0.acks.pendingRecords == 5 }
            let refused = await Self.send(harness, 15..<20, at: .kafka)
            for (id, (answer, _)) in refused {
                #expect(answer == Acknowledgement(disposition: .queued, reached: .memory, reason: .capacity), "id-\(id): \(answer)")
            }
            let status = harness.buffer.status()
            #expect(status.acks.pendingRecords == 5, "the five are still waiting: the refused ones did not wait for them")
            #expect(status.acks.answered(.kafka, reason: .capacity) == 5)
            #expect(status.acks.accepted(.kafka) == 10)
            Self.endTheHang(harness.cluster)
            let waited = await waiting.value
            for (id, (answer, took)) in waited {
                #expect(answer.disposition == .delivered && answer.reached == .kafka && answer.reason == nil, "id-\(id): \(answer) after \(took)")
            }
            try await harness.waitFor("all delivered", timeout: .seconds(60)) { $0.ledger.delivered == 20 }
        }
    }

    /// A timeout no test run reaches: a state that depends on it not firing holds until the test acts.
    static let longerThanTheTest = Duration.seconds(600)
    /// A round trip no test run reaches: Kafka hangs until `endTheHang`.
    static let hang: Int32 = 600_000

    /// Ends a hang: the mock broker sends the answers it held back (it stored the
    /// records) as soon as its round trip is 0 again.
    static func endTheHang(_ cluster: MockKafkaCluster) {
        cluster.setRoundTripTime(milliseconds: 0)
    }

    /// A `spool` caller is answered once its record is committed, while Kafka is
    /// healthy; the record then reaches Kafka through replay and leaves the spool.
    @Test func spoolLevelIsAnsweredOnceCommittedAndThenReplayed() async throws {
        try await withPipeline { harness in
            let answers = await Self.send(harness, 0..<100, at: .spool)
            #expect(answers.values.allSatisfy { $0.answer == Acknowledgement(disposition: .spooled, reached: .spool) })
            let status = harness.buffer.status()
            #expect(status.ledger.spilled == 100, "every one was written to the spool")
            try await harness.waitFor("replayed") { $0.ledger.delivered == 100 && $0.ledger.spooled == 0 }
            try await harness.stop()
            #expect(Set(try await harness.deliveredIDs()) == Set(0..<100))
        }
    }

    /// A pipeline in a child process answers `spool` callers, and is killed with
    /// SIGKILL: every record it answered is in the spool when it is opened again.
    @Test func spoolLevelAnswersSurviveSIGKILL() async throws {
        let directory = TemporaryDirectory("spillway-ack-kill")
        defer { directory.remove() }
        let path = directory.file("spool.db")
        // Kafka unreachable: nothing leaves the spool, so it must hold every answered record.
        let sender = try ChildProcess(BuiltProducts.path(of: "ack-sender"), [path, "127.0.0.1:\(freeLoopbackPort())", "events", "spool", "100000", "5000"])
        let (answered, unexpected) = await offThePool { () -> ([Int], [String]) in
            var answered: [Int] = []
            var unexpected: [String] = []
            while answered.count < 300, let line = sender.readLine() {
                let fields = line.split(separator: " ")
                guard fields.first == "answered", fields.count == 7, let id = Int(fields[1]) else { continue }
                if fields[2] != "spooled" || fields[3] != "spool" { unexpected.append(line) }
                answered.append(id)
            }
            return (answered, unexpected)
        }
        #expect(unexpected.isEmpty, "answers other than spooled at spool: \(unexpected.prefix(5))")
        sender.kill(SIGKILL)
        await sender.waitForExit()
        #expect(sender.process.terminationReason == .uncaughtSignal)
        try #require(answered.count == 300, "the sender stopped early: \(sender.standardError)")

        let spool = try SpoolFixtures.open(SpoolConfiguration(path: path), options: .maintenance)
        defer { spool.close() }
        let stored = Set(try spool.readOldest(limit: 1_000_000).map { String(decoding: $0.record.value ?? [], as: UTF8.self) })
        let missing = answered.filter { !stored.contains("ack-\($0)") }
        #expect(missing.isEmpty, "answered at spool and lost to SIGKILL: \(missing.prefix(20))")
    }

    /// The same at `kafka`, across a hang: answers with an offset are found there
    /// by a reader; answers `spooled` (past the timeout) are in the spool after the
    /// kill, their escrow copies turned into ready records, or in Kafka.
    @Test func kafkaLevelAnswersSurviveSIGKILL() async throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("events", partitions: 2)
        let directory = TemporaryDirectory("spillway-ack-kill")
        defer { directory.remove() }
        let path = directory.file("spool.db")
        let sender = try ChildProcess(BuiltProducts.path(of: "ack-sender"), [path, cluster.bootstrapServers, "events", "kafka", "100000", "300"])
        let (delivered, spooled, unexpected) = await offThePool { () -> ([Int: KafkaPosition], [Int], [String]) in
            var delivered: [Int: KafkaPosition] = [:]
            var spooled: [Int] = []
            var unexpected: [String] = []
            while spooled.count < 100, let line = sender.readLine() {
                let fields = line.split(separator: " ")
                guard fields.first == "answered", fields.count == 7, let id = Int(fields[1]) else { continue }
                switch (fields[2], fields[3]) {
                case ("delivered", "kafka"):
                    guard let partition = Int32(fields[4]), let offset = Int64(fields[5]) else {
                        unexpected.append(line)
                        continue
                    }
                    delivered[id] = KafkaPosition(partition: partition, offset: offset)
                    // Enough delivered: Kafka hangs from here on.
                    if delivered.count == 200 { cluster.setRoundTripTime(milliseconds: 60_000) }
                case ("spooled", "spool"):
                    spooled.append(id)
                default:
                    unexpected.append(line)
                }
            }
            return (delivered, spooled, unexpected)
        }
        #expect(unexpected.isEmpty, "unexpected answers: \(unexpected.prefix(5))")
        sender.kill(SIGKILL)
        await sender.waitForExit()
        try #require(spooled.count == 100, "the sender stopped early: \(sender.standardError)")
        #expect(delivered.count >= 200)

        let spool = try SpoolFixtures.open(SpoolConfiguration(path: path), options: .maintenance)
        let ready = try spool.readOldest(limit: 1_000_000)
        spool.close()
        let inSpool = Set(ready.map { String(decoding: $0.record.value ?? [], as: UTF8.self) })
        #expect(ready.allSatisfy { $0.record.possiblyPersisted }, "copies a crash left behind may be in Kafka too")
        cluster.setRoundTripTime(milliseconds: 0)
        let records = try await KafkaTopicReader.read(bootstrapServers: cluster.bootstrapServers, topic: "events")
        let inKafka = Set(records.map { String(decoding: $0.value ?? [], as: UTF8.self) })
        let byPosition = Dictionary(records.map { ("\($0.partition)/\($0.offset)", String(decoding: $0.value ?? [], as: UTF8.self)) }, uniquingKeysWith: { first, _ in first })
        for (id, position) in delivered {
            #expect(byPosition["\(position.partition)/\(position.offset)"] == "ack-\(id)", "ack-\(id) is not at \(position.partition)/\(position.offset)")
        }
        let lost = spooled.filter { !inSpool.contains("ack-\($0)") && !inKafka.contains("ack-\($0)") }
        #expect(lost.isEmpty, "answered spooled at kafka level and lost to SIGKILL: \(lost.prefix(20))")
    }
}

/// Where Kafka stored a record, as a child's answer line says it.
struct KafkaPosition: Sendable {
    var partition: Int32
    var offset: Int64
}
