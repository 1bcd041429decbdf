import Synchronization

/// Keeps Kafka clients from outrunning the acknowledgement bounds. Records a
/// producer waits for (at `acks=1` and `acks=all`) count against the pipeline's
/// `ack.max_pending_records`/`_bytes`; past those, a caller is answered at once
/// without its level, which a Kafka client can only be told as a retriable error,
/// and its retry duplicates records already taken. So the listener stops reading
/// from its connections once its own waiting records reach half the bound, and
/// reads again below a quarter: a client flooding it waits on TCP, as it would on
/// a slow broker, its own queue fills, and its application sees the backpressure.
/// The other half of the bound stays for the HTTP ingest.
final class ListenerFlowControl: Sendable {
    private struct Deferred {
        var records: Int
        var bytes: Int
        var work: @Sendable () -> Void
    }

    private struct State {
        var records = 0
        var bytes = 0
        /// Hand-overs waiting for room, oldest first.
        var deferred: [Deferred] = []
        var deferredHead = 0
        /// Connections that stopped reading, with what resumes each.
        var paused: [ObjectIdentifier: @Sendable () -> Void] = [:]
    }

    private let state = Mutex(State())
    let high: (records: Int, bytes: Int)
    let low: (records: Int, bytes: Int)

    init(maxPendingRecords: Int, maxPendingBytes: Int) {
        high = (max(1, maxPendingRecords / 2), max(1, maxPendingBytes / 2))
        low = (maxPendingRecords / 4, maxPendingBytes / 4)
    }

    /// The largest hand-over `whenRoom` should be asked for: a client's request
    /// can hold more records than the bounds (librdkafka sends up to 10,000 per
    /// partition), so the listener hands a big batch over in parts of this size.
    var chunk: (records: Int, bytes: Int) { high }

    /// Runs `work` (a hand-over of `records` that will wait for their answers) once
    /// the listener's waiting records leave room for them, in the order asked: at
    /// once when they do, or when nothing else waits; else later, from the thread
    /// that brings the answers making room. The records count as waiting from then
    /// until `answered`.
    func whenRoom(records: Int, bytes: Int, _ work: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            let fits = state.records == 0 || (state.records + records <= high.records && state.bytes + bytes <= high.bytes)
            guard fits, state.deferredHead == state.deferred.count else {
                state.deferred.append(Deferred(records: records, bytes: bytes, work: work))
                return false
            }
            state.records += records
            state.bytes += bytes
            return true
        }
        if runNow { work() }
    }

    /// Records were answered: deferred hand-overs that now fit run, and below the
    /// low mark every paused connection reads again.
    func answered(records: Int, bytes: Int) {
        let (runs, resumes) = state.withLock { state -> ([@Sendable () -> Void], [@Sendable () -> Void]) in
            state.records -= records
            state.bytes -= bytes
            var runs: [@Sendable () -> Void] = []
            while state.deferredHead < state.deferred.count {
                let next = state.deferred[state.deferredHead]
                guard state.records == 0 || (state.records + next.records <= high.records && state.bytes + next.bytes <= high.bytes) else { break }
                state.records += next.records
                state.bytes += next.bytes
                runs.append(next.work)
                state.deferredHead += 1
            }
            if state.deferredHead == state.deferred.count {
                state.deferred.removeAll(keepingCapacity: true)
                state.deferredHead = 0
            }
            guard !state.paused.isEmpty, state.records <= low.records, state.bytes <= low.bytes else { return (runs, []) }
            defer { state.paused = [:] }
            return (runs, Array(state.paused.values))
        }
        for run in runs { run() }
        for resume in resumes { resume() }
    }

    /// Whether a connection should stop reading now.
    var isOverHigh: Bool {
        state.withLock { $0.records >= high.records || $0.bytes >= high.bytes }
    }

    /// Registers a connection that stopped reading; `resume` is called once, when
    /// the waiting records fall below the low mark (at once, if they already have).
    func pause(_ connection: ObjectIdentifier, resume: @escaping @Sendable () -> Void) {
        let resumeNow = state.withLock { state -> Bool in
            if state.records <= low.records, state.bytes <= low.bytes { return true }
            state.paused[connection] = resume
            return false
        }
        if resumeNow { resume() }
    }

    /// A closed connection no longer waits to be resumed.
    func forget(_ connection: ObjectIdentifier) {
        _ = state.withLock { $0.paused.removeValue(forKey: connection) }
    }

    var waitingRecords: Int { state.withLock { $0.records } }
}
