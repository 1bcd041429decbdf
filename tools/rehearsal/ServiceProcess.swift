import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SpillwayAdminContract
import SpillwayService
import SpillwayTestKit

/// One `spillway serve` child: started, scraped, stopped or killed.
package final class ServiceProcess {
    package let child: ChildProcess
    package let ingest: String
    package let admin: String
    /// The last `/metrics` reading, by metric name (labels summed).
    package private(set) var lastMetrics: [String: Double] = [:]
    /// The last reading of `spillway_dropped_total`, by its `reason` label.
    package private(set) var lastDroppedByReason: [String: Int] = [:]
    /// The same, by cluster (`default` for series without a `cluster` label), then reason.
    package private(set) var lastDroppedByCluster: [String: [String: Int]] = [:]
    /// The last `/metrics` reading by cluster, then name (labels other than `cluster` summed).
    package private(set) var lastMetricsByCluster: [String: [String: Double]] = [:]
    /// Hand-overs slower than 10 ms (the histogram's top bucket) so far, by the
    /// service's own clock: tells a slow hand-over from a slow HTTP round trip.
    package private(set) var slowHandovers = 0
    /// The last `/v1/status` reading (`status()`), for figures `/metrics` does not
    /// carry, such as the records counted as possibly persisted.
    package private(set) var lastStatus: AdminStatus?

    /// Where its standard error goes.
    package let logPath: String

    /// The Kafka listener's `HOST:PORT`, when it was started with one.
    package let kafkaListener: String?

    /// - Parameter kafkaPort: where the Kafka listener listens (`--kafka-port`); `nil`: none.
    /// - Parameter config: a configuration file (`--config`), for what only a file can set (`clusters`).
    package init(
        binary: String, kafka: String, spool: String, port: Int, adminPort: Int, kafkaPort: Int? = nil,
        config: String? = nil, environment extra: [String: String], logPath: String
    ) throws {
        self.logPath = logPath
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SPILLWAY_") }
        for (key, value) in extra { environment[key] = value }
        var arguments = ["serve", "--kafka", kafka, "--spool", spool, "--port", "\(port)", "--admin-port", "\(adminPort)"]
        if let kafkaPort { arguments += ["--kafka-port", "\(kafkaPort)"] }
        if let config { arguments += ["--config", config] }
        child = try ChildProcess(binary, arguments, environment: environment, standardErrorFile: logPath)
        ingest = "http://127.0.0.1:\(port)"
        admin = "http://127.0.0.1:\(adminPort)"
        kafkaListener = kafkaPort.map { "127.0.0.1:\($0)" }
    }

    package func waitUntilReady(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let (status, _) = try? await HTTP.get(admin + "/readyz"), status == 200 { return }
            guard child.process.isRunning else {
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                throw ChaosFailure("spillway serve exited before it was ready (status \(child.process.terminationStatus)): \(log.suffix(500))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ChaosFailure("spillway serve did not become ready within \(timeout)")
    }

    /// Reads `/metrics`, and `/v1/status` beside it (`lastStatus`); returns the metrics.
    @discardableResult
    package func scrape() async -> [String: Double] {
        await status()
        guard let (status, text) = try? await HTTP.get(admin + "/metrics"), status == 200 else { return lastMetrics }
        let metrics = PrometheusText(text)
        var dropped: [String: Int] = [:]
        var droppedByCluster: [String: [String: Int]] = [:]
        var byCluster: [String: [String: Double]] = [:]
        for sample in metrics.samples {
            let cluster = sample.label("cluster") ?? "default"
            byCluster[cluster, default: [:]][sample.name, default: 0] += sample.value
            guard sample.name == "spillway_dropped_total", let reason = sample.label("reason") else { continue }
            dropped[reason, default: 0] += Int(sample.value)
            droppedByCluster[cluster, default: [:]][reason, default: 0] += Int(sample.value)
        }
        lastMetrics = metrics.byName
        lastDroppedByReason = dropped
        lastDroppedByCluster = droppedByCluster
        lastMetricsByCluster = byCluster
        let handovers = metrics.samples.filter { $0.name == "spillway_handover_latency_seconds_bucket" }
        if let all = handovers.first(where: { $0.label("le") == "+Inf" })?.value, let fast = handovers.first(where: { $0.label("le") == "0.01" })?.value {
            slowHandovers = Int(all - fast)
        }
        return lastMetrics
    }

    /// Reads `/v1/status` (nil when the service does not answer) and keeps it as `lastStatus`.
    @discardableResult
    package func status() async -> AdminStatus? {
        guard let status = await Self.status(admin: admin) else { return nil }
        lastStatus = status
        return status
    }

    /// `/v1/status` of the service whose admin listener is at `admin` (from any task).
    package static func status(admin: String) async -> AdminStatus? {
        guard let (code, text) = try? await HTTP.get(admin + AdminContract.Route.status), code == 200 else { return nil }
        return try? AdminContract.decode(AdminStatus.self, from: Data(text.utf8))
    }

    /// The process id, for `/proc`.
    package var pid: Int32 { child.process.processIdentifier }

    /// The peak resident set size so far (`VmHWM` in `/proc/PID/status`), in KiB;
    /// nil once the process is gone.
    package func peakResidentKiB() -> Int? {
        Self.peakResidentKiB(pid: pid)
    }

    /// `VmHWM` of any process, in KiB (from any task).
    package static func peakResidentKiB(pid: Int32) -> Int? {
        residentMemory(pid: pid)?.peakKiB
    }

    /// `SpillwayTestKit.ResidentMemory`, under the name the benchmarks use.
    package typealias ResidentMemory = SpillwayTestKit.ResidentMemory

    /// The process's `ResidentMemory` from `/proc/PID/status`; nil once it is gone.
    package func residentMemory() -> ResidentMemory? {
        Self.residentMemory(pid: pid)
    }

    /// `ResidentMemory` of any process (from any task).
    package static func residentMemory(pid: Int32) -> ResidentMemory? {
        ResidentMemory.of(pid: pid)
    }

    /// The dropped total once the service's once-a-second metrics report has
    /// caught up: two scrapes in a row, a report apart, that agree.
    package func settledDropped() async throws -> Int {
        try await settledDroppedByCluster().values.reduce(0, +)
    }

    /// `settledDropped`, by cluster (`default` for a service with one).
    package func settledDroppedByCluster() async throws -> [String: Int] {
        func totals() async -> [String: Int] {
            await scrape()
            // No drop yet means no series yet: that is zero.
            return lastMetricsByCluster.mapValues { Int($0["spillway_dropped_total", default: 0]) }
        }
        var previous = await totals()
        for _ in 0..<20 {
            try await Task.sleep(for: .milliseconds(1100))
            let current = await totals()
            if current == previous { return current }
            previous = current
        }
        throw ChaosFailure("the service's dropped total did not settle while no load was sent")
    }

    package func setBreaker(_ mode: String) async throws {
        let (status, body) = try await HTTP.send("PUT", admin + "/v1/breaker", body: Data("{\"mode\": \"\(mode)\"}".utf8))
        guard status == 200 else { throw ChaosFailure("breaker \(mode): \(status) \(body)") }
    }

    /// SIGTERM, then the exit status and the shutdown line's figures (the default cluster's).
    package func terminate() -> (status: Int32, stderr: String, stopLine: String) {
        let (status, stderr, lines) = terminateClusters()
        return (status, stderr, lines["default"] ?? "")
    }

    /// SIGTERM, then the exit status and each cluster's shutdown line, by cluster
    /// (`cluster=NAME` in the line; `default` for a service with one).
    package func terminateClusters() -> (status: Int32, stderr: String, stopLines: [String: String]) {
        child.kill(SIGTERM)
        let status = child.wait()
        let stderr = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        var lines: [String: String] = [:]
        for line in stderr.split(separator: "\n") where line.contains("spillway stopped") {
            let cluster = line.range(of: " cluster=").map { String(line[$0.upperBound...].prefix { $0 != " " }) } ?? "default"
            lines[cluster] = String(line)
        }
        return (status, stderr, lines)
    }

    package func killHard() {
        child.kill(SIGKILL)
        child.wait()
    }
}

/// Small loopback HTTP helpers on AsyncHTTPClient, whose deadlines hold: a
/// request to a service that is being killed must not hang the rehearsal.
package enum HTTP {
    package static let timeout: TimeAmount = .seconds(10)

    package static func get(_ url: String) async throws -> (Int, String) {
        try await send("GET", url, body: nil)
    }

    package static func send(_ method: String, _ url: String, body: Data?, contentType: String? = nil, headers: [String: String] = [:]) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }
}

package struct ChaosFailure: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
