import SpillwayRehearsal

/// The figures of one run, derived from its observation alone.
///
/// - Detection delay: from the broker answering again to the first status
///   reading (every ~20 ms) whose breaker is no longer open, if it was open
///   when the broker came back.
/// - Drain time: from the broker answering again to the reader's first copy of
///   the last backlog record, a record stamped before the breaker left open.
/// - Live latency: the reader's first copy of a record minus the timestamp the
///   service stamped on it; "before" is records stamped before the fault,
///   "during replay" records stamped after the breaker left open while the
///   status said replay ran.
struct OutageFigures: Sendable {
    let scenario: OutageScenario
    var acknowledged = 0
    var deliveredUnique = 0
    /// Acknowledged, never delivered, not in the spool.
    var lost = 0
    var stillSpooled = 0
    var duplicates: DuplicateAttribution
    /// Counted by the services (each instance's last status).
    var possiblyPersisted = 0
    /// Dropped and counted by the services (each instance's last status).
    var droppedCounted = 0
    var detectionMs: Int64?
    /// Why there is no detection delay, when there is none.
    var detectionNote: String?
    /// From the broker answering again to the reader's first record after it.
    var firstArrivalMs: Int64?
    var drainMs: Int64?
    /// From the broker answering again to the status saying the spool is empty.
    var spoolEmptyMs: Int64?
    /// Degraded: from the round trip back to normal to the last backlog record.
    var catchUpMs: Int64?
    var liveBefore: LatencySummary?
    var liveDuringReplay: LatencySummary?
    /// Degraded: live records stamped during replay while the round trip was slow.
    var liveDuringDegradedReplay: LatencySummary?
    /// Control: live records stamped while the round trip was slow (from a second after it began).
    var liveDegraded: LatencySummary?
    /// When replay ran (status phases ramping, holding, backing-off, at-ceiling), from the broker's return.
    var replayRanMs: (from: Int64, to: Int64)?
    var peakResidentMiB = 0.0
    /// Resident memory of the idle, warmed-up service before the load, and the anonymous part of it.
    var idleResidentMiB: Double?
    var idleAnonymousMiB: Double?
    /// The same, idle again 3 s after the drain, and its anonymous part.
    var afterResidentMiB: Double?
    var afterAnonymousMiB: Double?
    var slowestRequest: Duration = .zero
    /// Seconds into the load the slowest request was sent.
    var slowestRequestSentAfter: Double?
    var memoryBound = 0
    var inMemoryAtKill: Int?
    var drainTimedOut = false

    static let replayingPhases: Set<String> = ["ramping", "holding", "backing-off", "at-ceiling"]
    /// Records stamped this close before the fault count neither as healthy nor as backlog.
    static let caughtByTheFault: Int64 = 200

    init(_ observation: OutageObservation) {
        scenario = observation.scenario
        let read = observation.read
        let load = observation.load
        acknowledged = load.acknowledged.count
        let delivered = Set(read.firstCopies.keys)
        deliveredUnique = load.acknowledged.intersection(delivered).count
        stillSpooled = observation.stillSpooled.intersection(load.acknowledged).count
        lost = load.acknowledged.subtracting(delivered).subtracting(observation.stillSpooled).count
        duplicates = DuplicateAttribution(TopicFollower.duplicates(in: read), spooledAtKills: observation.spooledAtKills)
        let lastByInstance = Dictionary(grouping: observation.timeline, by: \.instance).compactMapValues(\.last)
        possiblyPersisted = lastByInstance.values.reduce(0) { $0 + $1.possiblyPersisted }
        droppedCounted = lastByInstance.values.reduce(0) { $0 + $1.dropped }
        peakResidentMiB = Double(observation.peakResidentKiB) / 1024
        idleResidentMiB = observation.idle.map { Double($0.residentKiB) / 1024 }
        idleAnonymousMiB = observation.idle.map { Double($0.anonymousKiB) / 1024 }
        afterResidentMiB = observation.afterward.map { Double($0.residentKiB) / 1024 }
        afterAnonymousMiB = observation.afterward.map { Double($0.anonymousKiB) / 1024 }
        slowestRequest = load.slowest
        slowestRequestSentAfter = load.slowestSentAt.map { $0.timeIntervalSince1970 - Double(observation.loadStartMs) / 1000 }
        memoryBound = observation.memoryBound
        inMemoryAtKill = observation.inMemoryAtKill
        drainTimedOut = observation.drainTimedOut

        let copies = read.firstCopies.values
        func latencies(stampedIn range: Range<Int64>) -> LatencySummary? {
            LatencySummary(copies.compactMap { copy in
                guard let stamp = copy.timestampMs, range.contains(stamp) else { return nil }
                return copy.readAtMs - stamp
            })
        }
        // Records stamped in the last moments before the fault may be caught by it: leave them out.
        let healthyEnd = (observation.faultAtMs ?? observation.degradedAtMs ?? observation.loadEndMs) - Self.caughtByTheFault
        liveBefore = latencies(stampedIn: observation.loadStartMs..<healthyEnd)
        if let degradedAt = observation.degradedAtMs, let normalAt = observation.normalAtMs, !observation.scenario.hasOutage {
            liveDegraded = latencies(stampedIn: (degradedAt + 1000)..<normalAt)
        }

        guard let recoveredAt = observation.recoveredAtMs else { return }
        // The breaker when the broker came back, and when it left open.
        let timeline = observation.timeline
        let atRecovery = timeline.last { $0.atMs <= recoveredAt }
        var leftOpenAt: Int64?
        if let atRecovery, atRecovery.breakerState == "open" {
            leftOpenAt = timeline.first { $0.atMs >= recoveredAt && $0.breakerState != "open" }?.atMs
            detectionMs = leftOpenAt.map { $0 - recoveredAt }
            if leftOpenAt == nil { detectionNote = "the breaker never left open" }
        } else {
            detectionNote = "the breaker was \(atRecovery?.breakerState ?? "not answering") when the broker came back"
        }

        firstArrivalMs = copies.reduce(Int64?.none) { first, copy in
            copy.readAtMs >= recoveredAt ? min(first ?? .max, copy.readAtMs) : first
        }.map { $0 - recoveredAt }

        // The backlog: every record stamped before the breaker left open.
        let cutoff = leftOpenAt ?? recoveredAt
        let lastBacklogArrival = copies.reduce(Int64.min) { latest, copy in
            guard let stamp = copy.timestampMs, stamp <= cutoff else { return latest }
            return max(latest, copy.readAtMs)
        }
        if lastBacklogArrival > Int64.min {
            drainMs = max(0, lastBacklogArrival - recoveredAt)
            if let normalAt = observation.normalAtMs { catchUpMs = max(0, lastBacklogArrival - normalAt) }
        }
        spoolEmptyMs = timeline.first { $0.atMs >= recoveredAt && $0.spooled == 0 }.map { $0.atMs - recoveredAt }

        let afterRecovery = timeline.drop { $0.atMs < recoveredAt }
        if let start = afterRecovery.first(where: { Self.replayingPhases.contains($0.replayPhase) })?.atMs {
            let end = afterRecovery.first { $0.atMs > start && !Self.replayingPhases.contains($0.replayPhase) }?.atMs ?? observation.loadEndMs
            replayRanMs = (start - recoveredAt, end - recoveredAt)
            let live = max(start, cutoff + 1)
            if live < end { liveDuringReplay = latencies(stampedIn: live..<end) }
            if let normalAt = observation.normalAtMs, live < min(end, normalAt) {
                liveDuringDegradedReplay = latencies(stampedIn: live..<min(end, normalAt))
            }
        }
    }
}
