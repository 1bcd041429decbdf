import Dispatch
import Logging
import NIOConcurrencyHelpers

/// What the hand-over, the dispatcher thread and the spool-writer thread share.
final class PipelineCore: Sendable {
    let configuration: SpillwayConfiguration
    /// A pthread-based lock (visible to ThreadSanitizer), held only for in-memory work.
    let state: NIOLockedValueBox<PipelineState>
    let producer: RDKafkaClient
    let events = BreakerEventBroadcaster()
    let metrics: PipelineMetrics
    /// Signalled when the spool writer has work it should not wait for.
    let spoolWake = DispatchSemaphore(value: 0)
    let logger: Logger

    init(configuration: SpillwayConfiguration, logger: Logger) throws(SpillwayConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        // librdkafka's queue holds at most the live bound plus one replay batch.
        producer = try RDKafkaClient(
            configuration.kafka,
            maxMessages: configuration.queue.maxRecords + configuration.replay.batchSize,
            maxBytes: configuration.queue.maxBytes + configuration.replay.batchSize * configuration.maxRecordBytes
        )
        state = NIOLockedValueBox(PipelineState(
            queueLimits: configuration.queue,
            handoffLimits: configuration.spoolHandoff,
            replay: configuration.replay,
            divertWhileBacklog: configuration.ordering == .fifo
        ))
        metrics = PipelineMetrics()
    }
}
