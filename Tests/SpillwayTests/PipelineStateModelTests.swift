import Foundation
@testable import Spillway
import SpillwaySpool
import SpillwayTestKit
import Testing

/// Model-based test of the pipeline's core: random sequences of transitions, as
/// the hand-over, the delivery loop and the spool loop make them, applied to the
/// pure `PipelineState` beside a model of what the state does not hold (records
/// in flight, batches being written, the spool file). After every step, every
/// accepted record must be in exactly one place (or counted as dropped), the
/// ledger must agree with the places, and memory must stay within its bounds.
///
/// Every part of the state is covered: the queues and the ledger (above), the
/// acknowledgement book, the wake-up flags (a loop that marked itself idle is
/// woken by whoever gives it work: no record waits for a loop asleep), the
/// status cache (what it publishes agrees with the world) and replay.
///
/// Records asked for at `spool` and `kafka` are part of it: their callers must each
/// be answered exactly once, by their deadline at the latest, with an answer the
/// world bears out (`reached: .spool` only when the spool file holds the record or
/// its escrow copy; `.kafka` only once it is delivered), and every escrow copy must
/// be released or settled by the end.
///
/// Reproduce a failure with `SPILLWAY_MODEL_SEED=<seed> swift test --filter PipelineStateModelTests`.
@Suite struct PipelineStateModelTests {
    /// Runs on a thread of its own (`offThePool`): about a minute of synchronous work
    /// in a debug build would otherwise hold one of the two cooperative threads a
    /// 2-core machine has, and stall every pipeline test beside it.
    @Test func randomTransitionSequencesKeepEveryRecordAccountedForAndMemoryBounded() async {
        let environment = ProcessInfo.processInfo.environment
        let seeds: [UInt64]
        if let seed = environment["SPILLWAY_MODEL_SEED"].flatMap(UInt64.init) {
            seeds = [seed]
        } else {
            let base = UInt64(environment["SPILLWAY_MODEL_BASE_SEED"].flatMap(UInt64.init) ?? 20_261_130)
            seeds = (0..<2000).map { base &+ $0 }
        }
        let (steps, violations, answerKinds) = await offThePool { () -> (Int, [String], Set<String>) in
            var steps = 0
            var violations: [String] = []
            var answerKinds = Set<String>()
            for seed in seeds {
                let result = PipelineState.$debugContext.withValue("(model seed \(seed))") {
                    var model = PipelineModel(seed: seed)
                    let result = model.run(steps: 250)
                    answerKinds.formUnion(model.answerKinds)
                    return result
                }
                steps += result.steps
                if let violation = result.violation {
                    violations.append("seed \(seed), step \(result.steps): \(violation). Reproduce with SPILLWAY_MODEL_SEED=\(seed)")
                    if violations.count >= 3 { break }
                }
            }
            return (steps, violations, answerKinds)
        }
        for violation in violations { Issue.record(Comment(rawValue: violation)) }
        #expect(steps >= seeds.count * 100, "the sequences ran (\(steps) steps)")
        if seeds.count > 100 {
            // Every kind of answer came up: the sequences reach each acknowledgement path.
            let expected: Set = [
                "kafka delivered kafka -", "kafka spooled spool ack_kafka_unavailable", "kafka spooled spool ack_dead_letter",
                "kafka spooled spool ack_timeout", "kafka queued memory ack_timeout", "spool spooled spool -", "spool spooled memory ack_timeout",
                "spool queued memory ack_capacity", "spool dropped - -", "kafka dropped - -",
            ]
            #expect(expected.subtracting(answerKinds).isEmpty, "never answered: \(expected.subtracting(answerKinds).sorted())")
        }
    }
}

/// A random sequence of pipeline transitions and the world around the state.
struct PipelineModel {
    private var random: ModelRandom
    private var state: PipelineState
    /// Record identities: accepted records carry "n<N>" as their value.
    private var nextIdentity = 0
    private var accepted = 0
    private var recovered = 0

    // What the state's callers hold.
    private var inFlight: [PendingRecord] = []
    private var replayInFlight: [Int64] = []
    private var writingReady: [HandoffQueue.Chunk] = []
    private var writingDead: [[DeadLetter]] = []
    private var spool = ModelSpool()
    private var spoolOpen = false
    private var replayCursor: Int64 = 0
    private var delivered: [String] = []
    private var shutDown = false

    // Acknowledgement levels.
    private let timeout: Duration
    private let start = ContinuousClock.now
    private var now: ContinuousClock.Instant
    /// Callers waiting (or answered), by record identity: level and deadline.
    private var callers: [String: (level: AckLevel, deadline: ContinuousClock.Instant)] = [:]
    private let answers = AnswerLog()
    /// Answers checked so far.
    private var checkedAnswers = Set<String>()
    private var writingEscrow: [[PendingRecord]] = []
    private var nextOffset: Int64 = 0
    private var droppedQueues: [[PendingRecord]] = []

    // Wake-up flags and the status cache.
    /// The delivery loop marked itself idle and nobody has woken it since.
    private var deliveryAsleep = false
    /// The spool loop marked itself idle and nobody has woken it since.
    private var spoolAsleep = false
    private var incompatibility: String?

    init(seed: UInt64) {
        random = ModelRandom(seed: seed)
        let queue = QueueLimits(maxRecords: random.int(1...12), maxBytes: random.int(8...120))
        let handoff = QueueLimits(maxRecords: random.int(1...12), maxBytes: random.int(8...120))
        timeout = .milliseconds(random.int(100...2000))
        now = start
        state = PipelineState(
            queueLimits: queue,
            handoffLimits: handoff,
            replay: ReplayConfiguration(),
            divertWhileBacklog: random.bool(),
            spoolBatchSize: random.int(1...5),
            // Copies due at once: the model checks the wake-ups, which a delayed copy
            // does without (the spool loop's own rounds find it; EscrowBookTests).
            ack: AckConfiguration(timeout: timeout, maxPendingRecords: random.int(1...8), maxPendingBytes: random.int(8...60), escrowDelay: .zero)
        )
        spool.capacity = random.int(1...30)
        // A spool left by an earlier run.
        for _ in 0..<random.int(0...5) { spool.append(identity: identity(), dead: random.chance(0.2)) }
        recovered = spool.count
        if random.bool() { _ = state.start() }
    }

    mutating func run(steps: Int) -> (steps: Int, violation: String?) {
        for step in 1...steps {
            act()
            if let violation = check() { return (step, violation) }
        }
        return (steps, nil)
    }

    private mutating func identity() -> String {
        defer { nextIdentity += 1 }
        return "n\(nextIdentity)"
    }

    // MARK: Actions

    private mutating func act() {
        now += .milliseconds(random.int(0...150))
        switch random.int(0...24) {
        case 0, 1, 2: acceptSome()
        case 3: state.reject("invalid_topic", count: random.int(1...3))
        case 4: deliveryLoop { $0.takeLive() }
        case 5, 6: deliveryLoop { $0.settleSome() }
        case 7:
            // The breaker driver moves the gates and signals the spool loop.
            deliveryLoop { $0.state.setBreakerGates(sending: $0.random.bool(), replay: $0.random.bool()) }
            spoolAsleep = false
        case 8: spoolLoop { $0.takeHandoff() }
        case 9: spoolLoop { $0.answerWriting() }
        case 10: spoolLoop { $0.openOrLoseSpool() }
        case 11: spoolLoop { $0.readForReplay() }
        case 12: deliveryLoop { $0.sendReplay() }
        case 13: spoolLoop { $0.doBookkeeping() }
        case 14: random.bool() ? state.pauseReplay() : state.resumeReplay()
        case 15, 16: acceptAwaitingSome()
        case 17: spoolLoop { $0.takeEscrow() }
        case 18: spoolLoop { $0.answerEscrowWriting() }
        case 19:
            spoolLoop {
                $0.doEscrowBookkeeping()
                $0.scanDropped()
            }
        case 20: expireWaiters()
        case 21: deliveryLoop { $0.deliveryLoopSleeps() }
        case 22: spoolLoop { $0.spoolLoopSleeps() }
        case 23: deliveryLoop { $0.kafkaIncompatibilityChanges() }
        default:
            if random.chance(0.15) { shutdownAndFlush() } else { _ = state.start() }
        }
        deliverAnswers()
    }

    /// A step of the delivery loop: it is awake (its poll times out every few milliseconds anyway).
    private mutating func deliveryLoop(_ step: (inout PipelineModel) -> Void) {
        deliveryAsleep = false
        step(&self)
    }

    /// A step of the spool loop: it is awake (its wait times out every 10 ms anyway).
    private mutating func spoolLoop(_ step: (inout PipelineModel) -> Void) {
        spoolAsleep = false
        step(&self)
    }

    /// The delivery loop found nothing to send and sleeps in librdkafka's poll.
    private mutating func deliveryLoopSleeps() {
        if state.markIdleIfNothingToSend() { deliveryAsleep = true }
    }

    /// The spool loop found nothing to write and waits on its semaphore.
    private mutating func spoolLoopSleeps() {
        if state.markSpoolLoopIdle(now: now) { spoolAsleep = true }
    }

    /// The delivery loop finds the broker incompatible with the loaded librdkafka, or compatible again.
    private mutating func kafkaIncompatibilityChanges() {
        incompatibility = random.bool() ? "librdkafka cannot speak to this broker" : nil
        state.setKafkaIncompatibility(incompatibility)
    }

    /// Delivers the answers the state decided, and checks each against the world
    /// as it is at that moment (a record may leave the spool later, evicted).
    private mutating func deliverAnswers() {
        state.takeAnswers().deliver()
        if answerViolation == nil { answerViolation = verifyNewAnswers() }
    }

    private var answerViolation: String?

    /// "level outcome reached reason" of every answer given, for the coverage check.
    var answerKinds: Set<String> {
        Set(answers.answers.compactMap { name, answer in
            callers[name].map { "\($0.level) \(answer.disposition.name) \(answer.reached?.rawValue ?? "-") \(answer.reason?.rawValue ?? "-")" }
        })
    }

    private mutating func acceptSome() {
        for _ in 0..<random.int(1...4) {
            accepted += 1
            let record = Record(topic: "t", value: Array(identity().utf8), timestamp: 0)
            let acceptance = state.accept(record, size: random.int(1...8))
            if acceptance.wakeDelivery { deliveryAsleep = false }
        }
    }

    /// Records whose callers wait for `spool` or `kafka`, as `send(…, ack:)` hands them over.
    private mutating func acceptAwaitingSome() {
        for _ in 0..<random.int(1...3) {
            accepted += 1
            let name = identity()
            let level: AckLevel = random.bool() ? .spool : .kafka
            callers[name] = (level, now + timeout)
            let record = Record(topic: "t", value: Array(name.utf8), timestamp: 0)
            let acceptance = state.accept(record, size: random.int(1...8), awaiting: AckRequest(level: level, recipient: answers.recipient(name), now: now))
            if let answer = acceptance.answer { answers.recipient(name).deliver(answer) }
            if acceptance.wakeDelivery { deliveryAsleep = false }
            if acceptance.wakeSpool { spoolAsleep = false }
        }
    }

    private mutating func takeEscrow() {
        let copies = state.takeEscrow(max: random.int(1...5))
        if !copies.isEmpty { writingEscrow.append(copies) }
    }

    /// The spool answers for one batch of escrow copies: committed (the oldest may
    /// find no room), or failed.
    private mutating func answerEscrowWriting() {
        guard !writingEscrow.isEmpty else { return }
        let copies = writingEscrow.removeFirst()
        let ids = copies.map(\.id)
        guard spoolOpen, !random.chance(0.1) else {
            state.escrowFailed(ids, error: spoolOpen ? "disk" : nil)
            return
        }
        let written = spool.escrow(copies.map { (Int64($0.id), Self.identity($0.record)) })
        state.escrowWrote(Array(ids[written.unwritten...]), unwritten: Array(ids[..<written.unwritten]), evicted: written.evicted, totals: spool.totals)
    }

    private mutating func doEscrowBookkeeping() {
        let bookkeeping = state.takeEscrowBookkeeping()
        guard spoolOpen else { return }
        spool.releaseEscrow(bookkeeping.releases)
        spool.settleEscrow(bookkeeping.toReady.map(\.key), dead: false)
        spool.settleEscrow(bookkeeping.toDeadLetters.map(\.key), dead: true)
        state.escrowSettled(totals: spool.totals)
    }

    private mutating func expireWaiters() {
        state.expireAckWaiters(now: now)
        deliverAnswers()
        // Nobody waits past the deadline.
        let answered = answers.answers
        for (name, caller) in callers where caller.deadline <= now && answered[name] == nil {
            overdue.append(name)
        }
    }

    private var overdue: [String] = []

    /// The spool loop searching dropped live queues for callers.
    private mutating func scanDropped() {
        let queues = state.takeDroppedToScan()
        let ids = queues.flatMap { $0.filter { $0.ack != .memory }.map(\.id) }
        state.droppedAwaitingFound(ids)
    }

    private static func awaited(_ records: some Sequence<PendingRecord>) -> [(index: Int, record: AwaitedRecord)] {
        records.enumerated().filter { $0.element.ack != .memory }.map { ($0.offset, AwaitedRecord(id: $0.element.id, size: $0.element.size, level: $0.element.ack)) }
    }

    private mutating func takeLive() {
        let batch = state.takeLive(random.int(1...6))
        guard !batch.isEmpty else { return }
        // librdkafka's queue may fill part-way: the rest goes back, in order.
        let taken = random.chance(0.2) ? random.int(0...batch.count) : batch.count
        inFlight += batch[..<taken]
        if taken < batch.count { state.returnToLive(batch[taken...]) }
    }

    private mutating func settleSome() {
        var settlement = Settlement()
        var remaining: [PendingRecord] = []
        for pending in inFlight {
            guard random.chance(0.5) else {
                remaining.append(pending)
                continue
            }
            switch random.int(0...9) {
            case 0...5:
                nextOffset += 1
                settlement.add(ReportVerdict(move: .delivered(pending, partition: 0, offset: nextOffset)))
                delivered.append(Self.identity(pending.record))
            case 6, 7, 8: settlement.add(ReportVerdict(move: .spill(pending), outcome: .failure(reason: "timed out")))
            default: settlement.add(ReportVerdict(move: .deadLetter(pending, reason: "too large")))
            }
        }
        inFlight = remaining
        var replayRemaining: [Int64] = []
        for id in replayInFlight {
            guard random.chance(0.5) else {
                replayRemaining.append(id)
                continue
            }
            switch random.int(0...9) {
            case 0...6: settlement.add(ReportVerdict(move: .replayAcknowledged(id: id)))
            case 7, 8: settlement.add(ReportVerdict(move: .replayRetry(id: id, possiblyPersisted: random.bool())))
            default: settlement.add(ReportVerdict(move: .replayDeadLetter(id: id, reason: "too large")))
            }
        }
        replayInFlight = replayRemaining
        if random.chance(0.1) { settlement.lastError = "Kafka: all brokers down" }
        state.settle(settlement)
        // The delivery loop's view signals the spool loop when the settlement gives it work.
        if settlement.concernsTheSpool { spoolAsleep = false }
        if settlement.lastError != nil, SpillwayStatus(state).lastError != (incompatibility ?? settlement.lastError) {
            statusViolation = "last error \(SpillwayStatus(state).lastError ?? "none") after a Kafka error, incompatibility \(incompatibility ?? "none")"
        }
    }

    private var statusViolation: String?

    private mutating func takeHandoff() {
        let (ready, dead) = state.takeHandoff()
        if let ready { writingReady.append(ready) }
        if !dead.isEmpty { writingDead.append(dead) }
    }

    /// The spool answers for one batch being written: committed (maybe evicting), or failed.
    private mutating func answerWriting() {
        let failure: DropReason? = !spoolOpen ? .spoolUnavailable : (random.chance(0.15) ? .spoolFailed : nil)
        if !writingDead.isEmpty, random.bool() {
            let batch = writingDead.removeFirst()
            let bytes = batch.reduce(0) { $0 + $1.pending.size }
            let awaited = Self.awaited(batch.map(\.pending))
            if let failure {
                state.spoolFailed(batch.count, bytes: bytes, reason: failure, error: nil, awaited: awaited.map(\.record), deadLetterReason: "too large")
            } else {
                let (evicted, keptFrom) = spool.append(batch.map { (Self.identity($0.pending.record), true) })
                state.spoolWrote(
                    batch.count, bytes: bytes, evicted: evicted, deadLettered: batch.count, totals: spool.totals,
                    written: awaited.filter { $0.index >= keptFrom }.map(\.record), unwritten: awaited.filter { $0.index < keptFrom }.map(\.record),
                    deadLetterReason: "too large"
                )
            }
        } else if !writingReady.isEmpty {
            let chunk = writingReady.removeFirst()
            let awaited = Self.awaited(chunk.records)
            if let failure {
                state.spoolFailed(chunk.records.count, bytes: chunk.bytes, reason: failure, error: nil, awaited: awaited.map(\.record))
            } else {
                let (evicted, keptFrom) = spool.append(chunk.records.map { (Self.identity($0.record), false) })
                state.spoolWrote(
                    chunk.records.count, bytes: chunk.bytes, evicted: evicted, totals: spool.totals,
                    written: awaited.filter { $0.index >= keptFrom }.map(\.record), unwritten: awaited.filter { $0.index < keptFrom }.map(\.record)
                )
            }
        }
    }

    private mutating func openOrLoseSpool() {
        if !spoolOpen, random.chance(0.7) {
            spoolOpen = true
            state.spoolOpened(totals: spool.totals, note: nil, clearsError: true)
        } else if !spoolOpen {
            state.spoolUnavailable("spool unavailable: locked")
        }
    }

    private mutating func readForReplay() {
        guard spoolOpen else { return }
        if let rewind = state.takeReplayRewind() { replayCursor = min(replayCursor, rewind - 1) }
        guard state.replay.wanted, state.replay.outbox.isEmpty else { return }
        let read = spool.readOldest(after: replayCursor, limit: random.int(1...5))
        guard let last = read.last else {
            if state.mayReadReplayFromOldest { replayCursor = 0 }
            return
        }
        replayCursor = last.id
        state.offerReplay(read)
        // The replay reader wakes the delivery loop for what it read.
        deliveryAsleep = false
    }

    private mutating func sendReplay() {
        let batch = state.takeReplay(max: random.int(1...5))
        guard !batch.isEmpty else { return }
        var sent = 0
        var unsentFrom: Int64?
        for record in batch {
            if random.chance(0.1) {
                unsentFrom = record.id
                break
            }
            replayInFlight.append(record.id)
            sent += 1
        }
        state.replaySent(taken: batch.count, sent: sent, deadLetters: [], unsentFrom: unsentFrom)
        if unsentFrom != nil { spoolAsleep = false }
    }

    private mutating func doBookkeeping() {
        let bookkeeping = state.takeReplayBookkeeping()
        guard spoolOpen else { return }
        let deleted = spool.delete(bookkeeping.acks)
        delivered += deleted
        state.spoolDeleted(deleted.count, totals: spool.totals)
        let moved = spool.moveToDeadLetters(bookkeeping.deadLetters.map(\.id))
        state.spoolMovedToDeadLetters(moved, totals: spool.totals)
    }

    /// Shutdown as `SpillwayBuffer.run` does it: intake closes, the delivery loop
    /// drains what it holds, the spool loop writes out the rest.
    private mutating func shutdownAndFlush() {
        guard !shutDown, state.lifecycle.phase == .running else { return }
        shutDown = true
        deliveryAsleep = false
        spoolAsleep = false
        _ = state.shutdown()
        state.beginDrain()
        settleSome()
        var unreported = Settlement()
        for pending in inFlight { unreported.add(ReportVerdict(move: .spill(pending))) }
        inFlight = []
        replayInFlight = []
        state.deliveryLoopFinished(unreported: unreported)
        var rounds = 0
        deliverAnswers()
        while !state.spoolLoopMayFinish, rounds < 10_000 {
            rounds += 1
            takeEscrow()
            while !writingEscrow.isEmpty {
                answerEscrowWriting()
                deliverAnswers()
            }
            doEscrowBookkeeping()
            takeHandoff()
            while !writingReady.isEmpty || !writingDead.isEmpty {
                answerWriting()
                deliverAnswers()
            }
            doBookkeeping()
            scanDropped()
            deliverAnswers()
        }
        state.spoolLoopFinished()
        deliverAnswers()
        finished = true
    }

    private var finished = false

    // MARK: Checks

    private mutating func check() -> String? {
        if let violation = checkAnswers() { return violation }
        if let violation = checkWakeUpsAndStatus() { return violation }
        let ledger = state.ledger
        if ledger.imbalance != 0 { return "ledger out of balance: \(ledger)" }
        if ledger.accepted != accepted { return "accepted \(ledger.accepted), model \(accepted)" }
        if ledger.recovered != (spoolOpen ? recovered : 0) { return "recovered \(ledger.recovered), model \(recovered)" }

        // The places agree with the ledger.
        let handoffRecords = state.queues.handoff.allRecords
        let writing = writingReady.flatMap(\.records) + writingDead.flatMap { $0.map(\.pending) }
        let dead = state.queues.deadHandoff.map(\.pending)
        let live = state.queues.live
        if ledger.liveQueued != live.count || ledger.liveQueuedBytes != live.reduce(0, { $0 + $1.size }) {
            return "live queue \(live.count) records, ledger \(ledger.liveQueued)"
        }
        if ledger.inFlight != inFlight.count || ledger.inFlightBytes != inFlight.reduce(0, { $0 + $1.size }) {
            return "in flight \(inFlight.count), ledger \(ledger.inFlight)"
        }
        let handoffAll = handoffRecords + dead + writing
        if ledger.handoffQueued != handoffAll.count || ledger.handoffBytes != handoffAll.reduce(0, { $0 + $1.size }) {
            return "hand-off \(handoffAll.count) records, ledger \(ledger.handoffQueued)"
        }
        if ledger.queued != ledger.liveQueued + ledger.handoffQueued { return "queued \(ledger.queued) is not live + hand-off" }
        if ledger.replayInFlight != replayInFlight.count { return "replay in flight \(replayInFlight.count), ledger \(ledger.replayInFlight)" }
        let settlingCount = state.book.escrow.pendingBookkeeping.toReady.count + state.book.escrow.pendingBookkeeping.toDeadLetters.count
        if spoolOpen, ledger.spooled != spool.count + settlingCount {
            return "spooled \(ledger.spooled), spool holds \(spool.count) and \(settlingCount) settled escrow copies"
        }

        // Bounds.
        let limits = (state.queues.queueLimits, state.queues.handoffLimits)
        if ledger.liveQueued + ledger.inFlight > limits.0.maxRecords { return "live bound exceeded: \(ledger)" }
        if ledger.liveQueuedBytes + ledger.inFlightBytes > limits.0.maxBytes { return "live bytes bound exceeded: \(ledger)" }
        if ledger.queued + ledger.inFlight > limits.0.maxRecords + limits.1.maxRecords { return "memory bound exceeded: \(ledger)" }
        if ledger.liveQueuedBytes + ledger.inFlightBytes + ledger.handoffBytes > limits.0.maxBytes + limits.1.maxBytes {
            return "memory bytes bound exceeded: \(ledger)"
        }

        // Every accepted record is in exactly one place, or counted as dropped.
        var places: [String: Int] = [:]
        for pending in live + inFlight + handoffAll { places[Self.identity(pending.record), default: 0] += 1 }
        for identity in (spoolOpen ? spool.identities : []) + delivered { places[identity, default: 0] += 1 }
        // Escrow copies the state settled into the spool, not yet moved by the spool loop.
        let settling = state.book.escrow.pendingBookkeeping
        for key in settling.toReady.map(\.key) + settling.toDeadLetters.map(\.key) {
            guard let identity = spool.escrowRows[key] else { return "escrow copy \(key) settled but not on disk" }
            places[identity, default: 0] += 1
        }
        if let twice = places.first(where: { $0.value > 1 }) { return "record \(twice.key) is in \(twice.value) places" }
        let missing = accepted + (spoolOpen ? recovered : 0) - places.count
        if missing != ledger.droppedTotal { return "\(missing) records missing, \(ledger.droppedTotal) counted as dropped: \(ledger.dropped)" }
        return nil
    }

    /// Every answer is given once, on time, and the world bore it out when it was given.
    private mutating func checkAnswers() -> String? {
        if let late = overdue.first { return "caller of \(late) not answered by its deadline" }
        if let answerViolation { return answerViolation }
        let given = answers.answers
        if finished {
            if let waiting = callers.keys.first(where: { given[$0] == nil }) { return "caller of \(waiting) never answered" }
            if state.book.escrow.count != 0 { return "\(state.book.escrow.count) escrow copies left at the end" }
            if spoolOpen, !spool.escrowRows.isEmpty { return "\(spool.escrowRows.count) escrow rows left on disk at the end" }
        }
        let pending = state.book.figures.pendingRecords
        if pending != callers.count - given.count { return "\(pending) callers pending, model \(callers.count - given.count)" }
        return nil
    }

    /// No record waits for a loop asleep that nobody woke, and the status cache
    /// agrees with the world: the spool's totals and backlog, whether it is open,
    /// the broker's incompatibility, and a snapshot in which the ledger balances.
    private func checkWakeUpsAndStatus() -> String? {
        if deliveryAsleep, !state.queues.live.isEmpty {
            return "\(state.queues.live.count) live records wait while the delivery loop sleeps, never woken"
        }
        if spoolAsleep, state.book.escrow.queuedCount > 0 {
            return "\(state.book.escrow.queuedCount) escrow copies wait while the spool loop sleeps, never woken"
        }
        if spoolAsleep, let awaited = state.queues.handoff.allRecords.first(where: { $0.ack != .memory }) {
            return "a caller's record (\(Self.identity(awaited.record))) waits in the hand-off while the spool loop sleeps, never woken"
        }
        if let statusViolation { return statusViolation }
        let status = SpillwayStatus(state)
        if status.ledger.imbalance != 0 { return "status snapshot out of balance: \(status.ledger)" }
        if status.kafkaIncompatibility != incompatibility { return "status says incompatibility \(status.kafkaIncompatibility ?? "none"), model \(incompatibility ?? "none")" }
        if status.spoolAvailable != spoolOpen { return "status says the spool is \(status.spoolAvailable ? "open" : "closed"), model \(spoolOpen)" }
        if spoolOpen {
            if status.spool != spool.totals { return "status spool totals \(status.spool), spool \(spool.totals)" }
            if state.queues.spoolBacklog != (spool.totals.readyCount > 0) { return "backlog \(state.queues.spoolBacklog) with \(spool.totals.readyCount) ready records" }
        }
        if status.acks.pendingRecords != state.book.figures.pendingRecords { return "status acks differ from the book's" }
        return nil
    }

    private mutating func verifyNewAnswers() -> String? {
        for (name, answer) in answers.answers where !checkedAnswers.contains(name) {
            checkedAnswers.insert(name)
            guard let caller = callers[name] else { return "answer for \(name), which nobody waits on" }
            switch answer.reached {
            case .kafka?:
                if caller.level != .kafka || !delivered.contains(name) { return "\(name) answered as in Kafka, but it is not: \(answer)" }
                if answer.disposition != .delivered || answer.offset == nil { return "\(name) answered in Kafka without an offset: \(answer)" }
            case .spool?:
                if !spool.identities.contains(name) && !spool.escrowRows.values.contains(name) {
                    return "\(name) answered as on disk, but the spool holds neither it nor its escrow copy: \(answer)"
                }
            case .memory?:
                if answer.reason == nil { return "\(name) asked for \(caller.level), answered at memory with no reason: \(answer)" }
            case nil:
                if answer.disposition.isAccepted { return "\(name) answered as not kept, yet \(answer.disposition)" }
            }
        }
        return nil
    }

    private static func identity(_ record: Record) -> String {
        String(decoding: record.value ?? [], as: UTF8.self)
    }
}

/// The spool file as the model sees it: ids in order, bounded by a record count,
/// oldest ready records evicted first, then dead letters, then the newest batch's oldest.
struct ModelSpool {
    struct Row {
        var id: Int64
        var identity: String
        var dead: Bool
    }

    var capacity = 10
    private(set) var rows: [Row] = []
    /// Escrow copies, by key (intake id): held to the capacity, never evicted.
    private(set) var escrowRows: [Int64: String] = [:]
    private var nextID: Int64 = 1
    private var evictedCount = 0

    var count: Int { rows.count }
    var identities: [String] { rows.map(\.identity) }

    var totals: SpoolTotals {
        var totals = SpoolTotals()
        totals.readyCount = rows.filter { !$0.dead }.count
        totals.deadCount = rows.filter(\.dead).count
        totals.escrowCount = escrowRows.count
        totals.evictedCount = evictedCount
        totals.nextID = nextID
        return totals
    }

    mutating func append(identity: String, dead: Bool) {
        rows.append(Row(id: nextID, identity: identity, dead: dead))
        nextID += 1
    }

    /// Appends a batch as the spool does: of the batch, the newest that fit beside the
    /// escrow copies; older ready rows, then older dead ones, evicted to make room.
    /// Returns how many were evicted (the batch's own unwritten included) and where
    /// the written part of the batch starts.
    mutating func append(_ batch: [(identity: String, dead: Bool)]) -> (evicted: Int, keptFrom: Int) {
        let keptFrom = max(0, batch.count - max(0, capacity - escrowRows.count))
        let older = evictOlder(rows.count + (batch.count - keptFrom) + escrowRows.count - capacity)
        for item in batch[keptFrom...] { append(identity: item.identity, dead: item.dead) }
        evictedCount += keptFrom + older
        return (keptFrom + older, keptFrom)
    }

    /// Writes escrow copies the same way; returns how many of the oldest found no
    /// room, and how many rows were evicted.
    mutating func escrow(_ copies: [(key: Int64, identity: String)]) -> (unwritten: Int, evicted: Int) {
        let unwritten = max(0, copies.count - max(0, capacity - escrowRows.count))
        let evicted = evictOlder(rows.count + escrowRows.count + (copies.count - unwritten) - capacity)
        for copy in copies[unwritten...] { escrowRows[copy.key] = copy.identity }
        evictedCount += evicted
        return (unwritten, evicted)
    }

    /// Evicts `excess` rows, oldest ready first, then oldest dead.
    private mutating func evictOlder(_ excess: Int) -> Int {
        var evicted = 0
        while evicted < excess, !rows.isEmpty {
            rows.remove(at: rows.firstIndex { !$0.dead } ?? 0)
            evicted += 1
        }
        return evicted
    }

    mutating func releaseEscrow(_ keys: [Int64]) {
        for key in keys { escrowRows[key] = nil }
    }

    mutating func settleEscrow(_ keys: [Int64], dead: Bool) {
        for key in keys {
            guard let identity = escrowRows.removeValue(forKey: key) else { continue }
            append(identity: identity, dead: dead)
        }
    }

    func readOldest(after cursor: Int64, limit: Int) -> [SpooledRecord] {
        rows.filter { !$0.dead && $0.id > cursor }.prefix(limit).map {
            SpooledRecord(id: $0.id, record: Record(topic: "t", value: Array($0.identity.utf8), timestamp: 0), cost: 1)
        }
    }

    /// Deletes acknowledged ready records still present; returns their identities.
    mutating func delete(_ ids: [Int64]) -> [String] {
        let wanted = Set(ids)
        let deleted = rows.filter { wanted.contains($0.id) && !$0.dead }
        rows.removeAll { wanted.contains($0.id) && !$0.dead }
        return deleted.map(\.identity)
    }

    mutating func moveToDeadLetters(_ ids: [Int64]) -> Int {
        var moved = 0
        for index in rows.indices where ids.contains(rows[index].id) && !rows[index].dead {
            rows[index].dead = true
            moved += 1
        }
        return moved
    }
}

/// SplitMix64, so a seed reproduces a sequence exactly.
struct ModelRandom {
    private var generator: SplitMix64

    init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    mutating func next() -> UInt64 {
        generator.next()
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func bool() -> Bool { next() & 1 == 1 }

    mutating func chance(_ probability: Double) -> Bool {
        Double(next() >> 11) / Double(1 << 53) < probability
    }
}

