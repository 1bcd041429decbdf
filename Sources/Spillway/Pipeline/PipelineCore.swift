import Dispatch
import Logging
import NIOConcurrencyHelpers

/// What the hand-over, the delivery loop and the spool loop share: the state
/// under its lock, the librdkafka client, and the ways to wake each other.
///
/// The state itself is out of reach: each thread gets a view of what it may do
/// (`intake` for callers, `delivery` for the delivery loop, `spooling` for the
/// spool loop, `controls` for operators and the life cycle, `status` for status
/// pages and metrics), and every lock site is in those views.
final class PipelineCore: Sendable {
    let configuration: SpillwayConfiguration
    /// The one owner of the librdkafka handle; only the delivery loop sends and polls.
    let client: RDKafkaClient
    let events = BreakerEventBroadcaster()
    let metrics: PipelineMetrics
    let logger: Logger

    let intake: IntakeView
    let delivery: DeliveryLoopView
    let spooling: SpoolLoopView
    let controls: ControlView
    let status: StatusView
    /// The upstream cluster's partition counts, for the Kafka-protocol front door.
    let partitions: PartitionCatalog

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
        // A pthread-based lock (visible to ThreadSanitizer), held only for in-memory work.
        let state = NIOLockedValueBox(PipelineState(
            queueLimits: configuration.queue,
            handoffLimits: configuration.spoolHandoff,
            replay: configuration.replay,
            divertWhileBacklog: configuration.ordering == .fifo,
            spoolBatchSize: configuration.spoolBatchSize,
            ack: configuration.ack
        ))
        // Signalled when the spool loop has work it should not wait for.
        let spoolWake = DispatchSemaphore(value: 0)
        intake = IntakeView(state, client: client, spoolWake: spoolWake)
        delivery = DeliveryLoopView(state, spoolWake: spoolWake)
        spooling = SpoolLoopView(state, wake: spoolWake)
        controls = ControlView(state, client: client, spoolWake: spoolWake)
        status = StatusView(state)
        metrics = PipelineMetrics(cluster: configuration.cluster)
        let lookUpTimeout = configuration.breaker.probeTimeout
        partitions = PartitionCatalog { [client] topic in client.lookUpTopic(topic, timeout: lookUpTimeout) }
    }
}
