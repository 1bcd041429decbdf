import Foundation
import Logging
import ServiceLifecycle
import SpillwaySpool

/// The bulkhead between an application and Kafka. `send` hands a record over
/// and returns at once, whatever Kafka or the disk are doing; behind it, a
/// circuit breaker guards the cluster, a bounded spool on disk keeps what
/// Kafka cannot take, and a throttled replay brings it back after an outage.
///
/// Run it as a `Service` in a `ServiceGroup`; graceful shutdown delivers or
/// spools every record it holds.
public final class SpillwayBuffer: Service, Sendable {
    public let configuration: SpillwayConfiguration
    let core: PipelineCore
    private let stop = ShutdownSignal()
    /// Set when records carry an id header.
    let recordIDs: (header: String, ids: RecordIDs)?

    /// Checks the configuration and builds the Kafka producer (no network yet).
    public init(configuration: SpillwayConfiguration, logger: Logger = Logger(label: "spillway")) throws(SpillwayConfigurationError) {
        self.configuration = configuration
        core = try PipelineCore(configuration: configuration, logger: logger)
        recordIDs = configuration.recordIDHeader.map { ($0, RecordIDs()) }
    }

    // MARK: The hand-over

    /// Hands one record over. Never blocks, never throws: invalid input is
    /// `rejected`, everything else is `queued` for Kafka, `spooled` to disk, or
    /// `dropped` with a counted reason.
    public func send(
        topic: String,
        key: [UInt8]? = nil,
        value: [UInt8],
        headers: [RecordHeader] = [],
        partition: Int32? = nil
    ) -> Disposition {
        var size = Record.payloadSize(topic: topic, key: key, value: value, headers: headers)
        if let rejection = rejection(topic: topic, size: size, partition: partition) {
            core.state.withLockedValue { $0.reject(rejection.code) }
            return .rejected(rejection)
        }
        var headers = headers
        if let recordIDs { size += stampID(&headers, recordIDs) }
        let timestamp = WallClock.milliseconds()
        let (disposition, wake) = core.state.withLockedValue { state in
            // Built under the lock and moved into the queue: one copy of the caller's buffers' references.
            let disposition = state.accept(
                Record(topic: topic, key: key, value: value, headers: headers, partition: partition, timestamp: timestamp),
                size: size
            )
            return (disposition, disposition == .queued && state.claimWakeUp())
        }
        if wake { core.client.wakeUp() }
        return disposition
    }

    /// Hands a batch over under one lock; dispositions come back in order.
    public func send(_ records: [OutgoingRecord]) -> [Disposition] {
        let (accepted, rejected) = prepare(records)
        var dispositions = [Disposition?](repeating: nil, count: records.count)
        for (index, rejection) in rejected { dispositions[index] = .rejected(rejection) }
        let wake = core.state.withLockedValue { state in
            for item in rejected { state.reject(item.rejection.code) }
            for item in accepted {
                dispositions[item.index] = state.accept(item.record, size: item.size)
            }
            return state.claimWakeUp()
        }
        if wake { core.client.wakeUp() }
        return dispositions.map { $0! }
    }

    /// A batch's records built and checked outside the lock, with one timestamp:
    /// the valid ones with their sizes (the id header stamped), and the refused
    /// ones, each by its position in the batch.
    func prepare(_ records: [OutgoingRecord]) -> (accepted: [(index: Int, record: Record, size: Int)], rejected: [(index: Int, rejection: Rejection)]) {
        let timestamp = WallClock.milliseconds()
        var accepted: [(index: Int, record: Record, size: Int)] = []
        accepted.reserveCapacity(records.count)
        var rejected: [(index: Int, rejection: Rejection)] = []
        for (index, outgoing) in records.enumerated() {
            var record = Record(topic: outgoing.topic, key: outgoing.key, value: outgoing.value, headers: outgoing.headers, partition: outgoing.partition, timestamp: timestamp)
            var size = record.payloadSize
            if let rejection = rejection(topic: record.topic, size: size, partition: record.partition) {
                rejected.append((index, rejection))
            } else {
                if let recordIDs { size += stampID(&record.headers, recordIDs) }
                accepted.append((index, record, size))
            }
        }
        return (accepted, rejected)
    }

    /// Adds the record id header; returns the bytes it adds to the record.
    func stampID(_ headers: inout [RecordHeader], _ recordIDs: (header: String, ids: RecordIDs)) -> Int {
        let header = RecordHeader(name: recordIDs.header, value: recordIDs.ids.next())
        headers.append(header)
        return header.name.utf8.count + header.value.count
    }

    func rejection(topic: String, size: Int, partition: Int32?) -> Rejection? {
        Rejection.check(topic: topic, payloadSize: size, partition: partition, maxRecordBytes: configuration.maxRecordBytes)
    }

    /// Counts input refused before `send` (by the HTTP ingest: a topic in the path
    /// that is invalid or not allowed, a batch item that cannot be decoded), so
    /// `rejected` covers every refusal, not only those `send` made itself.
    package func countRejected(_ code: String, count: Int = 1) {
        guard count > 0 else { return }
        core.state.withLockedValue { $0.reject(code, count: count) }
    }

    // MARK: Operator controls

    /// Forces the breaker open or closed, or returns it to automatic control.
    /// Takes effect within milliseconds; a forced mode holds until changed.
    public func setBreakerMode(_ mode: BreakerMode) {
        core.state.withLockedValue { $0.requestBreakerMode(mode) }
        core.client.wakeUp()
    }

    /// Stops replaying the spool (live traffic is unaffected) until `resumeReplay`.
    public func pauseReplay() {
        core.state.withLockedValue { $0.pauseReplay() }
    }

    /// Lets replay run again whenever the breaker allows it.
    public func resumeReplay() {
        core.state.withLockedValue { $0.resumeReplay() }
        core.spoolWake.signal()
    }

    /// Changes the replay's ceilings or floor while running; they take effect at
    /// once. A ceiling below the floor lowers the floor with it: the operator's
    /// limit wins over the adaptive rate.
    public func setReplayRate(recordsPerSecond: Double? = nil, bytesPerSecond: Double? = nil, minRecordsPerSecond: Double? = nil) throws(SpillwayConfigurationError) {
        // Read, checked and set under one lock, so two operators' changes never mix.
        let refusal = core.state.withLockedValue { state -> SpillwayConfigurationError? in
            var replay = state.replay.configuration
            if let recordsPerSecond {
                replay.recordsPerSecond = recordsPerSecond
                if minRecordsPerSecond == nil { replay.minRecordsPerSecond = min(replay.minRecordsPerSecond, recordsPerSecond) }
            }
            if let bytesPerSecond { replay.bytesPerSecond = bytesPerSecond }
            if let minRecordsPerSecond { replay.minRecordsPerSecond = minRecordsPerSecond }
            do throws(SpillwayConfigurationError) {
                try replay.validate()
            } catch {
                return error
            }
            state.setReplayConfiguration(replay)
            return nil
        }
        if let refusal { throw refusal }
    }

    // MARK: Observing

    /// One consistent snapshot: the ledger balances in it.
    public func status() -> SpillwayStatus {
        core.state.withLockedValue { state in
            SpillwayStatus(
                ledger: state.ledger,
                breaker: state.breaker,
                spool: state.spoolTotals,
                spoolAvailable: state.spoolOpen,
                replayPaused: state.replay.paused,
                replayRate: state.replay.phase.isReplaying ? state.replay.rate : 0,
                replayPhase: state.replay.phase,
                replayConfiguration: state.replay.configuration,
                lastError: state.lastError,
                running: state.lifecycle.phase == .running,
                acks: state.ackFigures,
                kafkaIncompatibility: state.kafkaIncompatibility
            )
        }
    }

    /// The in-process mock cluster's address, when `test.mock.num.brokers` is set (dev mode).
    public var mockClusterBootstrapServers: String? {
        core.client.mockClusterBootstrapServers
    }

    /// Breaker transitions as they happen, for as long as the stream is kept.
    public func breakerEvents() -> AsyncStream<BreakerEvent> {
        core.events.subscribe()
    }

    // MARK: Life cycle

    /// Runs the pipeline until graceful shutdown (or `shutdown()`, or
    /// cancellation), then stops intake, gives in-flight records their deadline,
    /// spools the rest and closes the spool.
    public func run() async throws {
        guard core.state.withLockedValue({ $0.start() }) == .startLoops else {
            throw SpillwayConfigurationError("this SpillwayBuffer has already run; make a new one")
        }
        let core = core
        core.logger.info("spillway starting", metadata: [
            "kafka": "\(mockClusterBootstrapServers.map { "mock cluster at \($0)" } ?? configuration.kafka.bootstrapServers.joined(separator: ","))",
            "spool": "\(configuration.spool.path)",
        ])
        async let delivering: Void = Self.onThread("spillway-delivery") { DeliveryLoop(core: core).run() }
        async let spooling: Void = Self.onThread("spillway-spool") { SpoolLoop(core: core).run() }
        let reporting = Task {
            var reporter = MetricsReporter(core: core)
            while !Task.isCancelled {
                reporter.report()
                try? await Task.sleep(for: .seconds(1))
            }
            reporter.report()
        }

        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await stop.wait()
            } onCancel: {
                stop.trigger()
            }
        } onGracefulShutdown: {
            self.stop.trigger()
        }

        core.logger.info("spillway shutting down: intake closed, draining")
        if core.state.withLockedValue({ $0.shutdown() }) == .wakeDeliveryLoop { core.client.wakeUp() }
        await delivering
        core.spoolWake.signal()
        await spooling
        reporting.cancel()
        _ = await reporting.value
        core.events.finish()
        let ledger = core.state.withLockedValue { $0.ledger }
        core.logger.notice("spillway stopped", metadata: [
            "delivered": "\(ledger.delivered)", "spooled": "\(ledger.spooled)", "dropped": "\(ledger.droppedTotal)", "imbalance": "\(ledger.imbalance)",
        ])
    }

    /// Begins graceful shutdown, as SIGTERM does in a `ServiceGroup`. `run` returns when done.
    public func shutdown() {
        stop.trigger()
    }

    private static func onThread(_ name: String, _ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                body()
                continuation.resume()
            }
            thread.name = name
            thread.start()
        }
    }
}
