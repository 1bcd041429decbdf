// Pipeline benchmarks, each beside a baseline measured in the same run:
//
//   swift run -c release pipeline-benchmark [--quick]
//
// 1. `send` latency (p50/p99/p99.9) with the breaker closed, forced open, and
//    with Kafka hung (mock round trip 30 s), against a bare mutex-protected deque append.
// 2. End-to-end throughput of 100-byte records into the mock cluster, against a
//    raw librdkafka produce loop in the same process.
// 3. Spill throughput with the breaker forced open, against `Spool.append` in batches of 1000.
// 4. `send` latency while the breaker opens under load: a full 100,000-record
//    queue (90,000 waiting, 10,000 inside librdkafka with Kafka hung) moves to
//    the spool while another thread keeps calling `send`. Target: max ≤ 50 µs,
//    p99.9 ≤ 10 µs; the baseline is `send` with the breaker forced open and idle.
// 5. Two clusters behind one router (`--only=clusters`): B's throughput and `send`
//    latency beside a cluster A that hangs under load, against B alone and B beside
//    A healthy; A's records spooled, then all delivered once A answers again.
import CRDKafka
import DequeModule
import Foundation
import Logging
import Spillway
import SpillwaySpool
import SpillwayTestKit
import Synchronization

let quick = CommandLine.arguments.contains("--quick")
let latencySamples = quick ? 50_000 : 200_000
let throughputRecords = quick ? 50_000 : 200_000
let scratch = TemporaryDirectory("spillway-pipeline-benchmark")
defer { scratch.remove() }
let value = [UInt8](repeating: 0x61, count: 100)

@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

struct Percentiles {
    var p50: Double
    var p99: Double
    var p999: Double

    init(_ samples: [UInt64]) {
        let sorted = samples.sorted()
        func at(_ q: Double) -> Double { Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) }
        p50 = at(0.5)
        p99 = at(0.99)
        p999 = at(0.999)
    }
}

func quietLogger() -> Logger {
    var logger = Logger(label: "benchmark")
    logger.logLevel = .error
    return logger
}

func configuration(_ cluster: MockKafkaCluster, spool name: String) -> SpillwayConfiguration {
    var configuration = SpillwayConfiguration()
    configuration.kafka = KafkaConfiguration(bootstrapServers: [cluster.bootstrapServers], acks: .leader, linger: .milliseconds(5), messageTimeout: .seconds(60), properties: ["log_level": "0"])
    configuration.spool = SpoolConfiguration(path: scratch.file(name), maxBytes: 4 << 30, maxRecords: 100_000_000, integrityCheck: .skip)
    configuration.queue = QueueLimits(maxRecords: 1_000_000, maxBytes: 1 << 30)
    configuration.spoolHandoff = QueueLimits(maxRecords: 1_000_000, maxBytes: 1 << 30)
    configuration.shutdownDeadline = .seconds(1)
    return configuration
}

/// Runs `body` against a started buffer, then shuts it down.
func withBuffer<T>(_ configuration: SpillwayConfiguration, _ body: (SpillwayBuffer) async throws -> T) async throws -> T {
    let buffer = try SpillwayBuffer(configuration: configuration, logger: quietLogger())
    let running = Task { try await buffer.run() }
    defer { buffer.shutdown() }
    let result = try await body(buffer)
    buffer.shutdown()
    try await running.value
    return result
}

func waitUntil(_ condition: () -> Bool) async {
    while !condition() { try? await Task.sleep(for: .milliseconds(2)) }
}

// MARK: 1. send latency

/// One value buffer per call, made before timing starts, as an application
/// hands over a buffer of its own each time (a shared buffer would measure
/// reference-count contention between threads instead).
func distinctValues() -> [[UInt8]] {
    (0..<latencySamples).map { index in [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 100) }
}

func baselineLatency() -> Percentiles {
    let queue = Mutex(Deque<Record>())
    let values = distinctValues()
    var samples = [UInt64](repeating: 0, count: latencySamples)
    for index in 0..<latencySamples {
        let start = monotonicNanoseconds()
        let record = Record(topic: "bench", value: values[index], timestamp: Int64(index))
        queue.withLock { $0.append(record) }
        samples[index] = monotonicNanoseconds() - start
    }
    return Percentiles(samples)
}

func sendLatency(_ buffer: SpillwayBuffer) -> Percentiles {
    let values = distinctValues()
    var samples = [UInt64](repeating: 0, count: latencySamples)
    for index in 0..<latencySamples {
        let start = monotonicNanoseconds()
        _ = buffer.send(topic: "bench", value: values[index])
        samples[index] = monotonicNanoseconds() - start
    }
    return Percentiles(samples)
}

/// What the two clock reads around each call cost by themselves: part of every
/// sample, Spillway's and the baseline's alike.
func timerOverhead() -> Percentiles {
    var samples = [UInt64](repeating: 0, count: latencySamples)
    for index in 0..<latencySamples {
        let start = monotonicNanoseconds()
        samples[index] = monotonicNanoseconds() - start
    }
    return Percentiles(samples)
}

/// Mean cost of `send` over a loop timed as a whole: no per-call clock reads.
func sendMean(_ buffer: SpillwayBuffer) -> Double {
    let values = distinctValues()
    let start = monotonicNanoseconds()
    for index in 0..<latencySamples {
        _ = buffer.send(topic: "bench", value: values[index])
    }
    return Double(monotonicNanoseconds() - start) / Double(latencySamples)
}

func latencyBenchmarks() async throws {
    let timer = timerOverhead()
    print("1. send latency, \(latencySamples) calls each, 100-byte values; ratio = spillway p50 / baseline p50")
    print(String(format: "   every sample includes two clock reads: %.0fns at p50 (net = p50 minus that); mean = a whole loop / calls, no clock reads", timer.p50))
    print("   state          p50  net p50     mean      p99    p99.9 |  baseline p50   p99  | ratio p50")
    for state in ["closed", "forced open", "kafka hung"] {
        let cluster = try MockKafkaCluster()
        let base = baselineLatency()
        let result: (Percentiles, Double) = try await withBuffer(configuration(cluster, spool: "latency-\(state).db")) { buffer in
            // Warm up: connect and deliver once, so "closed" measures the steady state.
            _ = buffer.send(topic: "bench", value: value)
            await waitUntil { buffer.status().ledger.delivered >= 1 }
            switch state {
            case "forced open":
                buffer.setBreakerMode(.forcedOpen)
                await waitUntil { buffer.status().breaker.mode == .forcedOpen }
            case "kafka hung":
                cluster.setRoundTripTime(milliseconds: 30_000)
            default:
                break
            }
            return (sendLatency(buffer), sendMean(buffer))
        }
        let (latency, mean) = result
        print(String(format: "   %-12@ %6.0fns %6.0fns %6.0fns %6.0fns %6.0fns | %8.0fns %6.0fns | %5.2fx",
                     state as NSString, latency.p50, latency.p50 - timer.p50, mean, latency.p99, latency.p999,
                     base.p50, base.p99, latency.p50 / base.p50))
    }
}

// MARK: 2. end-to-end throughput

func rawProduceLoop(_ cluster: MockKafkaCluster, count: Int) throws -> Double {
    let conf = rd_kafka_conf_new()
    var errorText = [CChar](repeating: 0, count: 256)
    for (key, setting) in [("bootstrap.servers", cluster.bootstrapServers), ("acks", "1"), ("linger.ms", "5"), ("log_level", "0"),
                           ("queue.buffering.max.messages", "1000000"), ("queue.buffering.max.kbytes", "1048576")] {
        rd_kafka_conf_set(conf, key, setting, &errorText, errorText.count)
    }
    rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_DR)
    guard let producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errorText, errorText.count) else { fatalError("rd_kafka_new") }
    let queue = rd_kafka_queue_get_main(producer)
    defer {
        rd_kafka_queue_destroy(queue)
        rd_kafka_destroy(producer)
    }
    var delivered = 0
    func drain(_ timeout: Int32) {
        while let event = rd_kafka_queue_poll(queue, timeout) {
            while let message = rd_kafka_event_message_next(event) {
                if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR { delivered += 1 }
            }
            rd_kafka_event_destroy(event)
            if timeout > 0 { break }
        }
    }
    // Warm up the connection, as Spillway's run does.
    let started = Date()
    var produced = 0
    "bench".withCString { topic in
        value.withUnsafeBytes { bytes in
            while produced < count {
                var fields = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: 4)
                fields[0].vtype = RD_KAFKA_VTYPE_TOPIC
                fields[0].u.cstr = topic
                fields[1].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                fields[1].u.i = RD_KAFKA_MSG_F_COPY
                fields[2].vtype = RD_KAFKA_VTYPE_VALUE
                fields[2].u.mem.ptr = UnsafeMutableRawPointer(mutating: bytes.baseAddress)
                fields[2].u.mem.size = bytes.count
                fields[3].vtype = RD_KAFKA_VTYPE_OPAQUE
                fields[3].u.ptr = UnsafeMutableRawPointer(bitPattern: produced + 1)
                if let error = rd_kafka_produceva(producer, fields, 4) {
                    rd_kafka_error_destroy(error)
                    drain(1)
                } else {
                    produced += 1
                }
                if produced % 1000 == 0 { drain(0) }
            }
        }
    }
    while delivered < count { drain(10) }
    return Double(count) / Date().timeIntervalSince(started)
}

func throughputBenchmark() async throws {
    print("")
    print("2. end-to-end throughput, \(throughputRecords) records of 100 bytes into the mock cluster (acks=1)")
    let rawCluster = try MockKafkaCluster()
    let raw = try rawProduceLoop(rawCluster, count: throughputRecords)
    let cluster = try MockKafkaCluster()
    let ours: Double = try await withBuffer(configuration(cluster, spool: "throughput.db")) { buffer in
        _ = buffer.send(topic: "bench", value: value)
        await waitUntil { buffer.status().ledger.delivered >= 1 }
        let started = Date()
        for _ in 0..<throughputRecords { _ = buffer.send(topic: "bench", value: value) }
        await waitUntil { buffer.status().ledger.delivered >= throughputRecords + 1 }
        return Double(throughputRecords) / Date().timeIntervalSince(started)
    }
    print(String(format: "   spillway %8.0f records/s | raw librdkafka %8.0f records/s | ratio %.2fx", ours, raw, ours / raw))
}

// MARK: 3. spill throughput

func spillBenchmark() async throws {
    print("")
    print("3. spill throughput with the breaker forced open, \(throughputRecords) records of 100 bytes")
    let spool = try Spool.open(SpoolConfiguration(path: scratch.file("direct.db"), maxBytes: 4 << 30, maxRecords: 100_000_000, integrityCheck: .skip), logger: quietLogger())
    let records = (0..<throughputRecords).map { Record(topic: "bench", value: value, timestamp: Int64($0)) }
    let directStart = Date()
    var start = 0
    while start < records.count {
        try spool.append(Array(records[start..<min(start + 1000, records.count)]))
        start += 1000
    }
    let direct = Double(throughputRecords) / Date().timeIntervalSince(directStart)
    spool.close()

    let cluster = try MockKafkaCluster()
    let ours: Double = try await withBuffer(configuration(cluster, spool: "spill.db")) { buffer in
        buffer.setBreakerMode(.forcedOpen)
        await waitUntil { buffer.status().breaker.mode == .forcedOpen }
        let started = Date()
        for _ in 0..<throughputRecords { _ = buffer.send(topic: "bench", value: value) }
        await waitUntil { buffer.status().ledger.spooled >= throughputRecords }
        return Double(throughputRecords) / Date().timeIntervalSince(started)
    }
    print(String(format: "   spillway %8.0f records/s | Spool.append x1000 %8.0f records/s | ratio %.2fx", ours, direct, ours / direct))
}

// MARK: 4. send while the breaker opens under load

/// Times every `send` a second thread makes while `body` runs.
func timingSends(_ buffer: SpillwayBuffer, _ body: () async throws -> Void) async rethrows -> [(at: UInt64, nanoseconds: UInt64)] {
    final class Sampler: @unchecked Sendable {
        // Written by the sampling thread only, read after it stopped.
        var samples: [(at: UInt64, nanoseconds: UInt64)] = []
        let stop = Atomic<Bool>(false)
        let stopped = DispatchSemaphore(value: 0)
    }
    let sampler = Sampler()
    sampler.samples.reserveCapacity(20_000_000)
    let values = (0..<4096).map { [UInt8](repeating: UInt8(truncatingIfNeeded: $0), count: 100) }
    let thread = Thread {
        var index = 0
        while !sampler.stop.load(ordering: .relaxed) {
            let start = monotonicNanoseconds()
            _ = buffer.send(topic: "bench", value: values[index & 4095])
            let end = monotonicNanoseconds()
            if sampler.samples.count < 20_000_000 { sampler.samples.append((start, end - start)) }
            index += 1
        }
        sampler.stopped.signal()
    }
    thread.start()
    try await body()
    sampler.stop.store(true, ordering: .relaxed)
    sampler.stopped.wait()
    return sampler.samples
}

func openingUnderLoadBenchmark() async throws {
    print("")
    print("4. send latency while the breaker opens with a full 100,000-record queue (Kafka hung); ratio = opening / idle forced open")
    let cluster = try MockKafkaCluster()
    var settings = configuration(cluster, spool: "opening.db")
    settings.queue = QueueLimits(maxRecords: 100_000, maxBytes: 1 << 30)
    settings.spoolHandoff = QueueLimits(maxRecords: 100_000, maxBytes: 1 << 30)
    // librdkafka takes 10,000; the other 90,000 wait in the live queue.
    settings.kafka.properties["queue.buffering.max.messages"] = "10000"
    try await withBuffer(settings) { buffer in
        _ = buffer.send(topic: "bench", value: value)
        await waitUntil { buffer.status().ledger.delivered >= 1 }
        cluster.setRoundTripTime(milliseconds: 30_000)
        for _ in 0..<99_999 { _ = buffer.send(topic: "bench", value: value) }
        await waitUntil { let l = buffer.status().ledger; return l.inFlight >= 9_000 && l.liveQueued + l.inFlight == 99_999 }
        let before = buffer.status().ledger
        var window: (start: UInt64, end: UInt64) = (0, 0)
        let samples = try await timingSends(buffer) {
            try await Task.sleep(for: .milliseconds(20))
            window.start = monotonicNanoseconds()
            buffer.setBreakerMode(.forcedOpen)
            // The opening is over when the live queue is empty and librdkafka gave back
            // what it had not sent (purge of its queue). Requests already on the wire
            // stay in flight until Kafka answers or they time out (30 s here), so the
            // window ends when the in-flight count stops moving: the first of 10
            // readings 5 ms apart that find it unchanged.
            var stableSince: (at: UInt64, inFlight: Int, readings: Int)?
            while true {
                let l = buffer.status().ledger
                let now = monotonicNanoseconds()
                if l.liveQueued == 0, let stable = stableSince, stable.inFlight == l.inFlight {
                    stableSince?.readings += 1
                    if stable.readings + 1 >= 10 { break }
                } else {
                    stableSince = l.liveQueued == 0 ? (now, l.inFlight, 1) : nil
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            window.end = stableSince!.at
            try await Task.sleep(for: .milliseconds(20))
        }
        let during = samples.filter { $0.at >= window.start && $0.at <= window.end }.map(\.nanoseconds)
        let idle = samples.filter { $0.at > window.end + 5_000_000 }.map(\.nanoseconds)
        guard !during.isEmpty, !idle.isEmpty else {
            print("   no samples in the window (\(samples.count) in all)")
            return
        }
        let opening = Percentiles(during)
        let baseline = Percentiles(idle)
        let after = buffer.status().ledger
        print(String(format: "   moved %d queued + %d of %d in flight (the rest was on the wire) in %.1f ms; %d sends during it",
                     before.liveQueued, before.inFlight - after.inFlight, before.inFlight, Double(window.end - window.start) / 1e6, during.count))
        print(String(format: "   opening: p50 %.0fns p99 %.0fns p99.9 %.0fns max %.0fns | idle forced open: p50 %.0fns p99.9 %.0fns max %.0fns | ratio p99.9 %.2fx",
                     opening.p50, opening.p99, opening.p999, Double(during.max()!), baseline.p50, baseline.p999, Double(idle.max()!), opening.p999 / baseline.p999))
        print(String(format: "   targets: max <= 50000ns (%@), p99.9 <= 10000ns (%@)",
                     during.max()! <= 50_000 ? "met" : "NOT met", opening.p999 <= 10_000 ? "met" : "NOT met"))
    }
}

if CommandLine.arguments.contains("--bare-send") {
    // For profilers: the hand-over alone, with no pipeline threads running.
    let cluster = try MockKafkaCluster()
    var bare = configuration(cluster, spool: "bare.db")
    bare.spoolHandoff = QueueLimits(maxRecords: 10_000_000, maxBytes: 1 << 32)
    let buffer = try SpillwayBuffer(configuration: bare, logger: quietLogger())
    for _ in 0..<10 {
        let result = sendLatency(buffer)
        let base = baselineLatency()
        print(String(format: "bare send p50 %.0fns p99 %.0fns | baseline p50 %.0fns p99 %.0fns", result.p50, result.p99, base.p50, base.p99))
    }
    exit(0)
}

if CommandLine.arguments.contains("--send-loop") {
    // For profilers: forced open, then nothing but `send` for a while.
    let cluster = try MockKafkaCluster()
    _ = try await withBuffer(configuration(cluster, spool: "profile.db")) { buffer in
        buffer.setBreakerMode(.forcedOpen)
        while buffer.status().breaker.mode != .forcedOpen { try await Task.sleep(for: .milliseconds(2)) }
        for _ in 0..<20 { _ = sendLatency(buffer) }
    }
    exit(0)
}

/// The process's resident memory now and at its most, after each benchmark: the
/// library and its baseline share the process, so this is a regression signal,
/// not the library's own figure.
func printResidentMemory(after name: String) {
    guard let memory = ResidentMemory.ofThisProcess() else { return }
    print(String(format: "   memory after %@: RSS %.1f MB, peak so far %.1f MB (VmHWM)", name,
                 Double(memory.residentKiB) * 1024 / 1e6, Double(memory.peakKiB) * 1024 / 1e6))
}

let only = CommandLine.arguments.first { $0.hasPrefix("--only=") }?.dropFirst(7)
let benchmarks: [(name: String, run: () async throws -> Void)] = [
    ("latency", latencyBenchmarks), ("throughput", throughputBenchmark), ("spill", spillBenchmark),
    ("opening", openingUnderLoadBenchmark), ("clusters", clusterIsolationBenchmark),
]
for benchmark in benchmarks where only == nil || only.map(String.init) == benchmark.name {
    try await benchmark.run()
    printResidentMemory(after: benchmark.name)
}
