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
    /// Builds, checks, stamps and sizes every record handed over.
    let preparer: RecordPreparer

    /// Checks the configuration and builds the Kafka producer (no network yet).
    public init(configuration: SpillwayConfiguration, logger: Logger = Logger(label: "spillway")) throws(SpillwayConfigurationError) {
        self.configuration = configuration
        core = try PipelineCore(configuration: configuration, logger: logger)
        preparer = RecordPreparer(maxRecordBytes: configuration.maxRecordBytes, recordIDs: configuration.recordIDHeader.map { ($0, RecordIDs()) })
    }

    // MARK: The hand-over

    /// Hands one record over; a `nil` value is Kafka's NULL (a tombstone), an
    /// empty one stays empty. Never blocks, never throws: invalid input is
    /// `rejected`, everything else is `queued` for Kafka, `spooled` to disk, or
    /// `dropped` with a counted reason.
    public func send(
        topic: String,
        key: [UInt8]? = nil,
        value: [UInt8]?,
        headers: [RecordHeader] = [],
        partition: Int32? = nil
    ) -> Disposition {
        switch preparer.prepare(topic: topic, key: key, value: value, headers: headers, partition: partition) {
        case .accepted(let record, let size):
            return core.intake.accept(record, size: size)
        case .rejected(let rejection):
            core.intake.reject(rejection.code)
            return .rejected(rejection)
        }
    }

    /// Hands a batch over under one lock; dispositions come back in order.
    public func send(_ records: [OutgoingRecord]) -> [Disposition] {
        core.intake.accept(preparer.prepare(records))
    }

    /// Counts input refused before `send` (by the HTTP ingest: a topic in the path
    /// that is invalid or not allowed, a batch item that cannot be decoded), so
    /// `rejected` covers every refusal, not only those `send` made itself.
    package func countRejected(_ code: String, count: Int = 1) {
        guard count > 0 else { return }
        core.intake.reject(code, count: count)
    }

    // MARK: Operator controls

    /// Forces the breaker open or closed, or returns it to automatic control.
    /// Takes effect within milliseconds; a forced mode holds until changed.
    public func setBreakerMode(_ mode: BreakerMode) {
        core.controls.setBreakerMode(mode)
    }

    /// Stops replaying the spool (live traffic is unaffected) until `resumeReplay`.
    public func pauseReplay() {
        core.controls.pauseReplay()
    }

    /// Lets replay run again whenever the breaker allows it.
    public func resumeReplay() {
        core.controls.resumeReplay()
    }

    /// Changes the replay's ceilings or floor while running; they take effect at
    /// once. A ceiling below the floor lowers the floor with it: the operator's
    /// limit wins over the adaptive rate.
    public func setReplayRate(recordsPerSecond: Double? = nil, bytesPerSecond: Double? = nil, minRecordsPerSecond: Double? = nil) throws(SpillwayConfigurationError) {
        let refusal = core.controls.changeReplayConfiguration { replay in
            if let recordsPerSecond {
                replay.recordsPerSecond = recordsPerSecond
                if minRecordsPerSecond == nil { replay.minRecordsPerSecond = min(replay.minRecordsPerSecond, recordsPerSecond) }
            }
            if let bytesPerSecond { replay.bytesPerSecond = bytesPerSecond }
            if let minRecordsPerSecond { replay.minRecordsPerSecond = minRecordsPerSecond }
        }
        if let refusal { throw refusal }
    }

    // MARK: Observing

    /// One consistent snapshot: the ledger balances in it.
    public func status() -> SpillwayStatus {
        core.status.snapshot()
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
        guard core.controls.start() == .startLoops else {
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
        core.controls.shutdown()
        await delivering
        core.spooling.wake.signal()
        await spooling
        reporting.cancel()
        _ = await reporting.value
        core.events.finish()
        let ledger = core.status.ledger
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
