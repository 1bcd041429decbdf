import Dispatch
import Logging
import NIOConcurrencyHelpers

/// What the hand-over, the delivery loop and the spool loop share: the state
/// under its lock, the librdkafka client, and the ways to wake each other.
final class PipelineCore: Sendable {
    let configuration: SpillwayConfiguration
    /// A pthread-based lock (visible to ThreadSanitizer), held only for in-memory work.
    let state: NIOLockedValueBox<PipelineState>
    /// The one owner of the librdkafka handle; only the delivery loop sends and polls.
    let client: RDKafkaClient
    let events = BreakerEventBroadcaster()
    let metrics: PipelineMetrics
    /// Signalled when the spool loop has work it should not wait for.
    let spoolWake = DispatchSemaphore(value: 0)
    let logger: Logger

    init(configuration: SpillwayConfiguration, logger: Logger) throws(SpillwayConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        // librdkafka's queue holds at most the live bound plus one replay batch.
        client = try RDKafkaClient(
            configuration.kafka,
            maxMessages: configuration.queue.maxRecords + configuration.replay.batchSize,
            maxBytes: configuration.queue.maxBytes + configuration.replay.batchSize * configuration.maxRecordBytes
        )
        state = NIOLockedValueBox(PipelineState(
            queueLimits: configuration.queue,
            handoffLimits: configuration.spoolHandoff,
            replay: configuration.replay,
            divertWhileBacklog: configuration.ordering == .fifo,
            spoolBatchSize: configuration.spoolBatchSize,
            ack: configuration.ack
        ))
        metrics = PipelineMetrics()
    }
}
