import Foundation
@testable import Spillway
import SpillwaySpool
import Testing

/// Model-based test of the pipeline's core: random sequences of transitions, as
/// the hand-over, the delivery loop and the spool loop make them, applied to the
/// pure `PipelineState` beside a model of what the state does not hold (records
/// in flight, batches being written, the spool file). After every step, every
/// accepted record must be in exactly one place (or counted as dropped), the
/// ledger must agree with the places, and memory must stay within its bounds.
///
/// Reproduce a failure with `SPILLWAY_MODEL_SEED=<seed> swift test --filter PipelineStateModelTests`.
@Suite struct PipelineStateModelTests {
    @Test func randomTransitionSequencesKeepEveryRecordAccountedForAndMemoryBounded() {
        let environment = ProcessInfo.processInfo.environment
        let seeds: [UInt64]
        if let seed = environment["SPILLWAY_MODEL_SEED"].flatMap(UInt64.init) {
            seeds = [seed]
        } else {
            let base = UInt64(environment["SPILLWAY_MODEL_BASE_SEED"].flatMap(UInt64.init) ?? 20_261_130)
            seeds = (0..<2000).map { base &+ $0 }
        }
        var steps = 0
        var failures = 0
        for seed in seeds {
            let result = PipelineState.$debugContext.withValue("(model seed \(seed))") {
                var model = PipelineModel(seed: seed)
                return model.run(steps: 250)
            }
            steps += result.steps
            if let violation = result.violation {
                failures += 1
                Issue.record("seed \(seed), step \(result.steps): \(violation). Reproduce with SPILLWAY_MODEL_SEED=\(seed)")
                if failures >= 3 { break }
            }
        }
        #expect(steps >= seeds.count * 100, "the sequences ran (\(steps) steps)")
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

    init(seed: UInt64) {
        random = ModelRandom(seed: seed)
        let queue = QueueLimits(maxRecords: random.int(1...12), maxBytes: random.int(8...120))
        let handoff = QueueLimits(maxRecords: random.int(1...12), maxBytes: random.int(8...120))
        state = PipelineState(
            queueLimits: queue,
            handoffLimits: handoff,
            replay: ReplayConfiguration(),
            divertWhileBacklog: random.bool(),
            spoolBatchSize: random.int(1...5)
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
        switch random.int(0...15) {
        case 0, 1, 2: acceptSome()
        case 3: state.reject("invalid_topic", count: random.int(1...3))
        case 4: takeLive()
        case 5, 6: settleSome()
        case 7: state.setBreakerGates(sending: random.bool(), replay: random.bool())
        case 8: takeHandoff()
        case 9: answerWriting()
        case 10: openOrLoseSpool()
        case 11: readForReplay()
        case 12: sendReplay()
        case 13: doBookkeeping()
        case 14: random.bool() ? state.pauseReplay() : state.resumeReplay()
        default:
            if random.chance(0.15) { shutdownAndFlush() } else { _ = state.start() }
        }
    }

    private mutating func acceptSome() {
        for _ in 0..<random.int(1...4) {
            accepted += 1
            let record = Record(topic: "t", value: Array(identity().utf8), timestamp: 0)
            _ = state.accept(record, size: random.int(1...8))
        }
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
                settlement.add(ReportVerdict(move: .delivered(pending)))
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
        state.settle(settlement)
    }

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
            if let failure {
                state.spoolFailed(batch.count, bytes: bytes, reason: failure, error: nil)
            } else {
                let evicted = spool.append(batch.map { (Self.identity($0.pending.record), true) })
                state.spoolWrote(batch.count, bytes: bytes, evicted: evicted, deadLettered: batch.count, totals: spool.totals)
            }
        } else if !writingReady.isEmpty {
            let chunk = writingReady.removeFirst()
            if let failure {
                state.spoolFailed(chunk.records.count, bytes: chunk.bytes, reason: failure, error: nil)
            } else {
                let evicted = spool.append(chunk.records.map { (Self.identity($0.record), false) })
                state.spoolWrote(chunk.records.count, bytes: chunk.bytes, evicted: evicted, totals: spool.totals)
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
        state.replaySent(sent, deadLetters: [], unsentFrom: unsentFrom)
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
        _ = state.shutdown()
        state.beginDrain()
        settleSome()
        var unreported = HandoffQueue.Chunk()
        for pending in inFlight {
            unreported.records.append(pending)
            unreported.bytes += pending.size
        }
        inFlight = []
        replayInFlight = []
        state.deliveryLoopFinished(unreported: unreported)
        var rounds = 0
        while !state.spoolLoopMayFinish, rounds < 10_000 {
            rounds += 1
            takeHandoff()
            while !writingReady.isEmpty || !writingDead.isEmpty { answerWriting() }
            doBookkeeping()
        }
        state.spoolLoopFinished()
    }

    // MARK: Checks

    private func check() -> String? {
        let ledger = state.ledger
        if ledger.imbalance != 0 { return "ledger out of balance: \(ledger)" }
        if ledger.accepted != accepted { return "accepted \(ledger.accepted), model \(accepted)" }
        if ledger.recovered != (spoolOpen ? recovered : 0) { return "recovered \(ledger.recovered), model \(recovered)" }

        // The places agree with the ledger.
        let handoffRecords = state.handoff.allRecords
        let writing = writingReady.flatMap(\.records) + writingDead.flatMap { $0.map(\.pending) }
        let dead = state.deadHandoff.map(\.pending)
        if ledger.liveQueued != state.live.count || ledger.liveQueuedBytes != state.live.reduce(0, { $0 + $1.size }) {
            return "live queue \(state.live.count) records, ledger \(ledger.liveQueued)"
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
        if spoolOpen, ledger.spooled != spool.count { return "spooled \(ledger.spooled), spool holds \(spool.count)" }

        // Bounds.
        let limits = (state.queueLimits, state.handoffLimits)
        if ledger.liveQueued + ledger.inFlight > limits.0.maxRecords { return "live bound exceeded: \(ledger)" }
        if ledger.liveQueuedBytes + ledger.inFlightBytes > limits.0.maxBytes { return "live bytes bound exceeded: \(ledger)" }
        if ledger.queued + ledger.inFlight > limits.0.maxRecords + limits.1.maxRecords { return "memory bound exceeded: \(ledger)" }
        if ledger.liveQueuedBytes + ledger.inFlightBytes + ledger.handoffBytes > limits.0.maxBytes + limits.1.maxBytes {
            return "memory bytes bound exceeded: \(ledger)"
        }

        // Every accepted record is in exactly one place, or counted as dropped.
        var places: [String: Int] = [:]
        for pending in state.live + inFlight + handoffAll { places[Self.identity(pending.record), default: 0] += 1 }
        for identity in (spoolOpen ? spool.identities : []) + delivered { places[identity, default: 0] += 1 }
        if let twice = places.first(where: { $0.value > 1 }) { return "record \(twice.key) is in \(twice.value) places" }
        let missing = accepted + (spoolOpen ? recovered : 0) - places.count
        if missing != ledger.droppedTotal { return "\(missing) records missing, \(ledger.droppedTotal) counted as dropped: \(ledger.dropped)" }
        return nil
    }

    private static func identity(_ record: Record) -> String {
        String(decoding: record.value, as: UTF8.self)
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
    private var nextID: Int64 = 1
    private var evictedCount = 0

    var count: Int { rows.count }
    var identities: [String] { rows.map(\.identity) }

    var totals: SpoolTotals {
        var totals = SpoolTotals()
        totals.readyCount = rows.filter { !$0.dead }.count
        totals.deadCount = rows.filter(\.dead).count
        totals.evictedCount = evictedCount
        totals.nextID = nextID
        return totals
    }

    mutating func append(identity: String, dead: Bool) {
        rows.append(Row(id: nextID, identity: identity, dead: dead))
        nextID += 1
    }

    /// Appends a batch, evicting to stay within capacity; returns how many were evicted.
    mutating func append(_ batch: [(identity: String, dead: Bool)]) -> Int {
        for item in batch { append(identity: item.identity, dead: item.dead) }
        var evicted = 0
        while rows.count > capacity {
            let index = rows.firstIndex { !$0.dead } ?? 0
            rows.remove(at: index)
            evicted += 1
        }
        evictedCount += evicted
        return evicted
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
