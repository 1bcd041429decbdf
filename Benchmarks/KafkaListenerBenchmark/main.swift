// The Kafka listener against a Kafka producer's own baseline, in the same run:
//
//   swift run -c release kafka-listener-benchmark [--quick] [--max-pending-records N] [--escrow-delay-ms N]
//
// 1. Throughput: one librdkafka producer (100-byte records, lz4, acks=all and
//    acks=1) straight into the mock cluster, then the same producer through
//    Spillway's Kafka listener into the same cluster. Target: ≥ 0.5× direct.
// 2. Per-record latency at acks=1 (librdkafka's own produce → report time),
//    ten records at a time, each ten waiting for their answers (a flood would
//    measure librdkafka's own queue instead): Kafka healthy, then Kafka hung (mock round trip 600 s; the breaker opens
//    on slow calls and records are answered from the spool). Target: hung p99
//    within 1.5× of healthy p99.
// 3. Records/s into the spool through the listener with the breaker forced
//    open, against `SpillwayBuffer.send` batches of 100 in-process (the HTTP
//    batch route's hand-over without HTTP).
import Foundation
import Logging
import NIOCore
import Spillway
import SpillwayService
import SpillwaySpool
import SpillwayTestKit

let quick = CommandLine.arguments.contains("--quick")
/// `--max-pending-records N`: the acknowledgement bound (`ack.max_pending_records`) the pipeline runs with.
let maxPendingRecords = CommandLine.arguments.firstIndex(of: "--max-pending-records").flatMap { Int(CommandLine.arguments[$0 + 1]) }
/// `--escrow-delay-ms N`: how long an acks=all record waits before its escrow copy is written (`ack.escrowDelay`; 0: at once, as before it existed).
let escrowDelayMs = CommandLine.arguments.firstIndex(of: "--escrow-delay-ms").flatMap { Int(CommandLine.arguments[$0 + 1]) }
let records = quick ? 50_000 : 200_000
let scratch = TemporaryDirectory("spillway-kafka-listener-benchmark")
defer { scratch.remove() }

func quietLogger() -> Logger {
    var logger = Logger(label: "benchmark")
    logger.logLevel = .error
    return logger
}

func batch(_ count: Int, tag: String) -> [ProducedRecord] {
    (0..<count).map { index in
        var value = Array("\(tag)-\(index)-".utf8)
        value += [UInt8](repeating: 0x61, count: max(0, 100 - value.count))
        return ProducedRecord(key: Array("key-\(index % 1000)".utf8), value: value)
    }
}

/// Records per second of one producer run, and its reports.
func produce(_ records: [ProducedRecord], topic: String, to bootstrap: String, properties: [String: String]) throws -> (rate: Double, reports: [ProducerReport]) {
    let producer = try KafkaTestProducer(bootstrapServers: bootstrap, properties: properties.merging(["linger.ms": "5"]) { $1 })
    // Warm-up: connections, metadata, the topic's partitions.
    _ = try producer.produceAll(batch(100, tag: "warm"), to: topic)
    let started = ContinuousClock.now
    let reports = try producer.produceAll(records, to: topic, timeout: .seconds(600))
    let elapsed = ContinuousClock.now - started
    let failed = reports.filter { $0.error != nil }
    if !failed.isEmpty { print("  warning: \(failed.count) records failed: \(Set(failed.compactMap(\.error)))") }
    return (Double(records.count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18), reports)
}

func percentile(_ values: [Int64], _ q: Double) -> Double {
    let sorted = values.sorted()
    return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))])
}

/// A pipeline and its Kafka listener in front of `cluster`, running until `body` returns.
func withListener<T: Sendable>(
    _ cluster: MockKafkaCluster, spool name: String, _ body: @escaping @Sendable (SpillwayBuffer, String) throws -> T
) async throws -> T {
    var settings = ServiceSettings()
    settings.pipeline.kafka = KafkaConfiguration(
        bootstrapServers: [cluster.bootstrapServers], acks: .all, linger: .milliseconds(5), messageTimeout: .seconds(60), properties: ["log_level": "0"]
    )
    settings.pipeline.spool = SpoolConfiguration(path: scratch.file(name), maxBytes: 4 << 30, maxRecords: 100_000_000, integrityCheck: .skip)
    settings.pipeline.queue = QueueLimits(maxRecords: 200_000, maxBytes: 256 << 20)
    settings.maxConnections = 16
    if let escrowDelayMs { settings.pipeline.ack.escrowDelay = .milliseconds(escrowDelayMs) }
    if let maxPendingRecords {
        settings.pipeline.ack.maxPendingRecords = maxPendingRecords
        settings.pipeline.ack.maxPendingBytes = maxPendingRecords * 256
    }
    let router = try SpillwayRouter(compartments: [(TopicRoutes.defaultCluster, settings.pipeline)], routes: [], logger: quietLogger())
    let buffer = router.compartments[0].buffer
    let running = Task { try await buffer.run() }
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let listener = KafkaListener(settings: settings, port: 0, router: router, logger: quietLogger(), onListening: { continuation.yield($0.port ?? 0) })
    let serving = Task {
        defer { continuation.finish() }
        try await listener.run()
    }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else {
        let outcome = await serving.result
        fatalError("the listener did not start: \(outcome)")
    }
    let result = try await offThePool { try body(buffer, "127.0.0.1:\(port)") }
    serving.cancel()
    _ = await serving.result
    buffer.shutdown()
    try await running.value
    return result
}

print("kafka-listener-benchmark: \(records) records of 100 bytes, lz4, librdkafka \(LoadedLibrdkafka.version), ack.max_pending_records \(maxPendingRecords ?? AckConfiguration().maxPendingRecords), escrow delay \(escrowDelayMs.map { "\($0) ms" } ?? "default (a quarter of ack.timeout)")\n")

// 1. Throughput.
for acks in ["all", "1"] {
    let cluster = try MockKafkaCluster()
    try cluster.createTopic("direct", partitions: 4)
    try cluster.createTopic("through", partitions: 4)
    let properties = ["compression.codec": "lz4", "acks": acks]
    let direct = try await offThePool { try produce(batch(records, tag: "direct"), topic: "direct", to: cluster.bootstrapServers, properties: properties) }
    let through = try await withListener(cluster, spool: "throughput-\(acks).db") { _, listener in
        try produce(batch(records, tag: "through"), topic: "through", to: listener, properties: properties)
    }
    print(String(
        format: "throughput acks=%@   direct %9.0f records/s   through Spillway %9.0f records/s   ratio %.2f× (target ≥ 0.5×)",
        acks, direct.rate, through.rate, through.rate / direct.rate
    ))
}

// 2. acks=1 latency, Kafka healthy and hung.
do {
    let cluster = try MockKafkaCluster()
    try cluster.createTopic("latency", partitions: 4)
    let latencies = try await withListener(cluster, spool: "latency.db") { buffer, listener -> (healthy: [Int64], hung: [Int64]) in
        let producer = try KafkaTestProducer(bootstrapServers: listener, properties: ["compression.codec": "lz4", "acks": "1", "linger.ms": "1"])
        func measure(_ tag: String) throws -> [Int64] {
            var latencies: [Int64] = []
            for round in 0..<(quick ? 300 : 1000) {
                let reports = try producer.produceAll(batch(10, tag: "\(tag)-\(round)"), to: "latency")
                latencies += reports.map(\.latencyMicroseconds)
            }
            return latencies
        }
        _ = try measure("warm")
        let healthy = try measure("healthy")
        cluster.setRoundTripTime(milliseconds: 600_000)
        // The breaker opens on the first slow calls; what follows is answered from the spool.
        _ = try measure("tripping")
        let hung = try measure("hung")
        cluster.setRoundTripTime(milliseconds: 0)
        return (healthy, hung)
    }
    let (healthyP50, healthyP99) = (percentile(latencies.healthy, 0.5), percentile(latencies.healthy, 0.99))
    let (hungP50, hungP99) = (percentile(latencies.hung, 0.5), percentile(latencies.hung, 0.99))
    print(String(
        format: "acks=1 latency   healthy p50 %6.0f µs p99 %6.0f µs   Kafka hung p50 %6.0f µs p99 %6.0f µs   p99 ratio %.2f× (target ≤ 1.5×)",
        healthyP50, healthyP99, hungP50, hungP99, hungP99 / healthyP99
    ))
}

// 3. Into the spool with the breaker forced open.
do {
    let cluster = try MockKafkaCluster()
    try cluster.createTopic("spooled", partitions: 4)
    let (listenerRate, handOverRate) = try await withListener(cluster, spool: "spool.db") { buffer, listener -> (Double, Double) in
        // The partition count is known before the breaker opens, as in an outage.
        _ = try produce(batch(10, tag: "known"), topic: "spooled", to: listener, properties: [:])
        buffer.setBreakerMode(.forcedOpen)
        let before = buffer.status().ledger.spilled
        let started = ContinuousClock.now
        _ = try produce(batch(records, tag: "listener"), topic: "spooled", to: listener, properties: ["compression.codec": "lz4", "acks": "0"])
        while buffer.status().ledger.spilled - before < records + 100 { usleep(1000) }
        let listenerSeconds = (ContinuousClock.now - started) / .seconds(1)
        let outgoing = batch(records, tag: "send").map { OutgoingRecord(topic: "spooled", key: $0.key, value: $0.value) }
        let sendStarted = ContinuousClock.now
        let spilledBefore = buffer.status().ledger.spilled
        for start in stride(from: 0, to: outgoing.count, by: 100) { _ = buffer.send(Array(outgoing[start..<min(start + 100, outgoing.count)])) }
        while buffer.status().ledger.spilled - spilledBefore < records { usleep(1000) }
        let sendSeconds = (ContinuousClock.now - sendStarted) / .seconds(1)
        return (Double(records) / listenerSeconds, Double(records) / sendSeconds)
    }
    print(String(
        format: "breaker open     into the spool through the listener %9.0f records/s   send() batches of 100 %9.0f records/s   ratio %.2f×",
        listenerRate, handOverRate, listenerRate / handOverRate
    ))
}
