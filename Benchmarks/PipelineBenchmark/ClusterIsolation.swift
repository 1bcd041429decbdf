import Foundation
import Spillway
import SpillwaySpool
import SpillwayTestKit
import Synchronization

// MARK: 5. two clusters: one hung beside a healthy one

/// B's records/s (first `send` to last acknowledgement) and `send` percentiles,
/// sending `count` records as fast as one thread can.
func measureB(_ send: (Int) -> Void, delivered: () -> Int, count: Int) async -> (rate: Double, latency: Percentiles) {
    let before = delivered()
    var samples = [UInt64](repeating: 0, count: count)
    let started = monotonicNanoseconds()
    for index in 0..<count {
        let start = monotonicNanoseconds()
        send(index)
        samples[index] = monotonicNanoseconds() - start
    }
    await waitUntil { delivered() >= before + count }
    return (Double(count) / (Double(monotonicNanoseconds() - started) / 1e9), Percentiles(samples))
}

/// A steady load on cluster A from a thread of its own, `rate` records/s, until stopped.
final class PacedLoad: @unchecked Sendable {
    private let stopFlag = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    /// Read after `stop()`.
    private(set) var sent = 0

    init(rate: Int, _ send: @escaping @Sendable () -> Void) {
        Thread {
            let started = monotonicNanoseconds()
            while !self.stopFlag.load(ordering: .relaxed) {
                let due = Int(Double(monotonicNanoseconds() - started) / 1e9 * Double(rate))
                while self.sent < due {
                    send()
                    self.sent += 1
                }
                usleep(1000)
            }
            self.done.signal()
        }.start()
    }

    func stop() {
        stopFlag.store(true, ordering: .relaxed)
        done.wait()
    }
}

/// B's records per measurement: at about a million records/s, a second of sending.
let isolationRecords = throughputRecords * 5

func clusterIsolationBenchmark() async throws {
    // `--a-rate=N`: A's load in records/s (what A's spilling costs in CPU shows against a smaller one).
    let loadRate = CommandLine.arguments.first { $0.hasPrefix("--a-rate=") }.flatMap { Int($0.dropFirst(9)) } ?? 20_000
    print("")
    print("5. two clusters in one router: B's end-to-end records/s and send latency (\(isolationRecords) records of 100 bytes),")
    print("   alone (a buffer of its own), beside A healthy, and beside A hung (round trip 30 s); A gets \(loadRate) records/s from another thread")
    print("   run  B alone: records/s  p50   p99.9 | beside A healthy: records/s  p99.9 | beside A hung: records/s  p50   p99.9 | hung/alone rate  p99.9 | hung/healthy rate | A: spooled, delivered after, undelivered")
    for run in 1...5 {
        let alone = try MockKafkaCluster()
        let soloResult = try await withBuffer(configuration(alone, spool: "isolation-alone-\(run).db")) { buffer in
            _ = buffer.send(topic: "bench", value: value)
            await waitUntil { buffer.status().ledger.delivered >= 1 }
            return await measureB({ _ in _ = buffer.send(topic: "bench", value: value) }, delivered: { buffer.status().ledger.delivered }, count: isolationRecords)
        }
        var beside: [Bool: (rate: Double, latency: Percentiles)] = [:]
        var outcome = ""
        for hung in [false, true] {
            let clusterA = try MockKafkaCluster(), clusterB = try MockKafkaCluster()
            var a = configuration(clusterA, spool: "isolation-a-\(run)-\(hung).db")
            a.kafka.messageTimeout = .seconds(5)
            let b = configuration(clusterB, spool: "isolation-b-\(run)-\(hung).db")
            let router = try SpillwayRouter(compartments: [("default", b), ("a", a)], routes: [TopicRoute(topics: [try TopicPattern("a.*")], cluster: "a")], logger: quietLogger())
            let running = Task { try await router.run() }
            let bufferA = router.buffer(cluster: "a")!, bufferB = router.buffer(cluster: "default")!
            _ = router.send(topic: "a.bench", value: value)
            _ = router.send(topic: "bench", value: value)
            await waitUntil { bufferA.status().ledger.delivered >= 1 && bufferB.status().ledger.delivered >= 1 }
            if hung { clusterA.setRoundTripTime(milliseconds: 30_000) }
            let load = PacedLoad(rate: loadRate) { _ = router.send(topic: "a.bench", value: value) }
            if hung { await waitUntil { bufferA.status().breaker.state == .open } }
            beside[hung] = await measureB({ _ in _ = router.send(topic: "bench", value: value) }, delivered: { bufferB.status().ledger.delivered }, count: isolationRecords)
            load.stop()
            if hung {
                await waitUntil { let l = bufferA.status().ledger; return l.queued == 0 && l.inFlight == 0 }
                let spooled = bufferA.status().ledger.spooled
                clusterA.setRoundTripTime(milliseconds: 0)
                await waitUntil { let l = bufferA.status().ledger; return l.spooled == 0 && l.delivered >= load.sent + 1 }
                let ledgerA = bufferA.status().ledger, ledgerB = bufferB.status().ledger
                // Every record A took was delivered once A answered: none left, none dropped.
                let undelivered = (load.sent + 1) - ledgerA.delivered
                outcome = "\(spooled), \(ledgerA.delivered - 1) of \(load.sent), \(undelivered) (dropped \(ledgerA.droppedTotal + ledgerB.droppedTotal), imbalance \(ledgerA.imbalance + ledgerB.imbalance))"
            }
            router.shutdown()
            try await running.value
        }
        let healthy = beside[false]!, hung = beside[true]!
        print(String(format: "   %d  %10.0f %6.0fns %6.0fns | %10.0f %6.0fns | %10.0f %6.0fns %6.0fns | %.2fx %.2fx | %.2fx | %@",
                     run, soloResult.rate, soloResult.latency.p50, soloResult.latency.p999, healthy.rate, healthy.latency.p999,
                     hung.rate, hung.latency.p50, hung.latency.p999, hung.rate / soloResult.rate, hung.latency.p999 / soloResult.latency.p999,
                     hung.rate / healthy.rate, outcome as NSString))
    }
}
