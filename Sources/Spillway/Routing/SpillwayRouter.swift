import Foundation
import Logging
import ServiceLifecycle
import SpillwaySpool
import Synchronization

/// Several Kafka clusters, each behind a bulkhead of its own: topics are routed
/// by `TopicRoutes` to a `SpillwayBuffer` per cluster, with its own live queue,
/// memory bound, librdkafka client, circuit breaker, replay and spool file. A
/// cluster that hangs fills only its own compartment; the others' records
/// never wait behind it, and their spool space is theirs alone.
///
/// Run it as a `Service`: it runs every compartment and shuts them all down
/// together. A single cluster needs no router: use `SpillwayBuffer`.
public final class SpillwayRouter: Service, Sendable {
    public let routes: TopicRoutes
    /// Cluster names in the order given, `default` among them.
    public let clusters: [String]
    private let buffers: [SpillwayBuffer]
    private let defaultIndex: Int
    /// Topics resolved through more than `maxScannedGlobs` globs, kept so each is scanned once. Bounded:
    /// past `maxCachedTopics` a topic is resolved again each time (still correct).
    private let resolved = Mutex<[String: Int]>([:])
    /// About 1 MB at most, even for topic names at Kafka's length limit.
    static let maxCachedTopics = 4096
    /// Up to this many globs, a topic is matched against them on every hand-over.
    package static let maxScannedGlobs = 8

    /// Builds every compartment (no network yet).
    /// - Parameter compartments: each cluster's name and configuration; one must
    ///   be `TopicRoutes.defaultCluster`. Each compartment needs a spool file of its own.
    public init(
        compartments: [(cluster: String, configuration: SpillwayConfiguration)],
        routes: [TopicRoute],
        logger: Logger = Logger(label: "spillway")
    ) throws(SpillwayConfigurationError) {
        var names: [String] = []
        var spools: [String: String] = [:]
        for (name, configuration) in compartments {
            if let problem = TopicRoutes.clusterNameProblem(name) { throw SpillwayConfigurationError("cluster \"\(name)\": its name \(problem)") }
            guard !names.contains(name) else { throw SpillwayConfigurationError("cluster \"\(name)\" is configured twice") }
            let spool = URL(fileURLWithPath: configuration.spool.path).standardizedFileURL.path
            if let other = spools[spool] {
                throw SpillwayConfigurationError("clusters \"\(other)\" and \"\(name)\" both spool to \(configuration.spool.path): each compartment needs a spool file of its own")
            }
            spools[spool] = name
            names.append(name)
        }
        guard let defaultIndex = names.firstIndex(of: TopicRoutes.defaultCluster) else {
            throw SpillwayConfigurationError("no cluster named \"\(TopicRoutes.defaultCluster)\": unrouted topics go there")
        }
        self.routes = try TopicRoutes(routes, clusters: Set(names))
        var buffers: [SpillwayBuffer] = []
        for (name, configuration) in compartments {
            var configuration = configuration
            var logger = logger
            if compartments.count > 1 {
                // Several in one process: their metrics and log lines say whose they are.
                configuration.cluster = name
                logger[metadataKey: "cluster"] = "\(name)"
            }
            do {
                buffers.append(try SpillwayBuffer(configuration: configuration, logger: logger))
            } catch {
                throw SpillwayConfigurationError("cluster \"\(name)\": \(error.description)")
            }
        }
        self.clusters = names
        self.buffers = buffers
        self.defaultIndex = defaultIndex
    }

    // MARK: Finding a compartment

    /// The compartment `topic` goes to: an exact name by lookup, then up to
    /// `maxScannedGlobs` globs matched, or more resolved once per topic and cached.
    public func buffer(forTopic topic: String) -> SpillwayBuffer {
        buffers[index(forTopic: topic)]
    }

    /// A cluster's compartment by name, for operator controls and status.
    public func buffer(cluster: String) -> SpillwayBuffer? {
        clusters.firstIndex(of: cluster).map { buffers[$0] }
    }

    /// Every compartment, in `clusters` order.
    public var compartments: [(cluster: String, buffer: SpillwayBuffer)] {
        Array(zip(clusters, buffers))
    }

    func index(forTopic topic: String) -> Int {
        if buffers.count == 1 { return 0 }
        // A few globs are matched faster than a shared lock is taken, and nothing is
        // shared between the compartments' callers; many globs are matched once per topic.
        if routes.globCount <= Self.maxScannedGlobs { return index(ofCluster: routes.cluster(forTopic: topic)) }
        if let known = resolved.withLock({ $0[topic] }) { return known }
        let found = index(ofCluster: routes.cluster(forTopic: topic))
        resolved.withLock { cache in
            if cache.count < Self.maxCachedTopics { cache[topic] = found }
        }
        return found
    }

    private func index(ofCluster name: String) -> Int {
        clusters.firstIndex(of: name) ?? defaultIndex
    }

    // MARK: The hand-over

    /// `SpillwayBuffer.send` on the topic's compartment: never blocks, never throws.
    public func send(
        topic: String, key: [UInt8]? = nil, value: [UInt8]?, headers: [RecordHeader] = [], partition: Int32? = nil
    ) -> Disposition {
        buffer(forTopic: topic).send(topic: topic, key: key, value: value, headers: headers, partition: partition)
    }

    /// A batch, split by compartment (one lock per compartment); dispositions come back in order.
    public func send(_ records: [OutgoingRecord]) -> [Disposition] {
        guard let groups = split(records) else { return buffer(forTopic: records.first?.topic ?? "").send(records) }
        var dispositions = [Disposition?](repeating: nil, count: records.count)
        for (index, positions) in groups {
            for (position, disposition) in zip(positions, buffers[index].send(positions.map { records[$0] })) {
                dispositions[position] = disposition
            }
        }
        return dispositions.map { $0! }
    }

    /// `SpillwayBuffer.send(…, ack:)` on the topic's compartment: only this caller waits.
    public func send(
        topic: String, key: [UInt8]? = nil, value: [UInt8]?, headers: [RecordHeader] = [], partition: Int32? = nil, ack: AckLevel
    ) async -> Acknowledgement {
        await buffer(forTopic: topic).send(topic: topic, key: key, value: value, headers: headers, partition: partition, ack: ack)
    }

    /// A batch at `ack`, each compartment's part handed over at once and waited for together; answers in order.
    public func send(_ records: [OutgoingRecord], ack: AckLevel) async -> [Acknowledgement] {
        guard let groups = split(records) else { return await buffer(forTopic: records.first?.topic ?? "").send(records, ack: ack) }
        let buffers = buffers
        return await withTaskGroup(of: ([Int], [Acknowledgement]).self) { group in
            for (index, positions) in groups {
                let part = positions.map { records[$0] }
                group.addTask { (positions, await buffers[index].send(part, ack: ack)) }
            }
            var answers = [Acknowledgement?](repeating: nil, count: records.count)
            for await (positions, part) in group {
                for (position, answer) in zip(positions, part) { answers[position] = answer }
            }
            return answers.map { $0! }
        }
    }

    /// Positions of `records` by compartment, or `nil` when they all go to one.
    private func split(_ records: [OutgoingRecord]) -> [(index: Int, positions: [Int])]? {
        guard buffers.count > 1, let first = records.first else { return nil }
        let firstIndex = index(forTopic: first.topic)
        var lastTopic = first.topic, lastIndex = firstIndex
        var byIndex: [Int: [Int]] = [:]
        for (position, record) in records.enumerated() {
            if record.topic != lastTopic {
                lastTopic = record.topic
                lastIndex = index(forTopic: record.topic)
            }
            byIndex[lastIndex, default: []].append(position)
        }
        if byIndex.count == 1 { return nil }
        return byIndex.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// `SpillwayBuffer.countRejected` on the compartment of `topic`, or on `default`
    /// when the refused input had no valid topic.
    package func countRejected(_ code: String, count: Int = 1, topic: String? = nil) {
        (topic.map(buffer(forTopic:)) ?? buffers[defaultIndex]).countRejected(code, count: count)
    }

    // MARK: Operator controls, on every compartment

    /// Forces every compartment's breaker; `buffer(cluster:)` acts on one.
    public func setBreakerMode(_ mode: BreakerMode) {
        for buffer in buffers { buffer.setBreakerMode(mode) }
    }

    // MARK: Life cycle

    /// Runs every compartment until graceful shutdown (or `shutdown()`, or
    /// cancellation), then shuts them all down; returns when the last has stopped.
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for buffer in buffers {
                group.addTask { try await buffer.run() }
            }
            // One compartment that fails to run stops the others: a half-running service is
            // worse than a stopped one that says why.
            do {
                for try await _ in group {}
            } catch {
                shutdown()
                while (try? await group.next()) != nil {}
                throw error
            }
        }
    }

    /// Begins graceful shutdown of every compartment.
    public func shutdown() {
        for buffer in buffers { buffer.shutdown() }
    }
}
