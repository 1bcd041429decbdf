import Foundation
import SpillwayRehearsal
import SpillwayService
import SpillwayTestKit

/// Runs one scenario: `spillway-mock-kafka` and `spillway serve` as child
/// processes, the paced load, a reader following the topic, the status
/// timeline, and the fault at its time; then waits for the backlog to drain,
/// stops the service and reads everything back.
struct OutageRun {
    struct Options: Sendable {
        var records = 200_000
        var recordsPerSecond = 10_000.0
        var batchSize = 100
        var outage: Duration = .seconds(15)
        /// How long to wait for the backlog after the load ended.
        var drainTimeout: Duration = .seconds(240)
        /// Settings for the service beyond its defaults: `SPILLWAY_*` variables, and librdkafka properties.
        var environment: [String: String] = [:]
        var kafkaProperties: [String: String] = [:]
    }

    let scenario: OutageScenario
    let options: Options
    /// This run's folder: the spool, the services' logs, the spool copies at a SIGKILL.
    let directory: String
    let tools: String
    let topic = "outage"
    static let recordIDHeader = "spillway-id"
    /// When the fault starts, after the load started.
    static let faultAfter: Duration = .seconds(1)
    /// How long the warmed-up service sits without load before its idle memory is read.
    static let idleSettling: Duration = .seconds(3)

    func run() async throws -> OutageObservation {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let spoolPath = directory + "/spool.db"
        let mock = try ChildProcess(tools + "/spillway-mock-kafka", ["--topic", "\(topic):4"])
        defer { mock.kill(SIGTERM); mock.wait() }
        guard let first = mock.readLine(), first.hasPrefix("bootstrap ") else { throw ChaosFailure("the mock Kafka did not start") }
        let bootstrap = String(first.dropFirst("bootstrap ".count))
        /// Sends a fault command; returns when it was sent (the broker changes within it).
        func fault(_ command: String) throws -> Int64 {
            let at = WallTime.nowMs
            mock.write(command + "\n")
            guard let reply = mock.readLine(), reply.hasPrefix("ok") else { throw ChaosFailure("mock Kafka refused \(command)") }
            return at
        }

        let follower = try TopicFollower(bootstrapServers: bootstrap, topic: topic, recordIDHeader: Self.recordIDHeader)
        defer { follower.stop() }
        var instance = 1
        var service = try await startService(kafka: bootstrap, spool: spoolPath, instance: instance)
        defer { service.killHard() }
        let timeline = StatusTimeline()
        timeline.follow(service, instance: instance)
        let polling = Task { await timeline.run() }
        defer { polling.cancel() }

        try await warmUp(service, follower: follower)
        // An idle service's memory: connected, one batch delivered, nothing owed.
        try await Task.sleep(for: Self.idleSettling)
        let idle = service.residentMemory()
        var observation = OutageObservation(scenario: scenario, options: options)
        observation.idle = idle
        let load = LoadGenerator(topic: topic, concurrency: 8, batches: .init(size: options.batchSize, recordsPerSecond: options.recordsPerSecond, limit: options.records))
        load.point(at: service.ingest)
        observation.loadStartMs = WallTime.nowMs
        let loading = Task {
            await load.run()
            return WallTime.nowMs
        }
        defer { loading.cancel() }
        let started = ContinuousClock.now
        let faultAt = started + Self.faultAfter
        let recoverAt = faultAt + options.outage
        try await Task.sleep(until: faultAt, clock: .continuous)

        switch scenario {
        case .down:
            observation.faultAtMs = try fault("down")
            try await Task.sleep(until: recoverAt, clock: .continuous)
            observation.recoveredAtMs = try fault("up")
        case .hang:
            observation.faultAtMs = try fault("rtt \(OutageScenario.hungRoundTripMilliseconds)")
            try await Task.sleep(until: recoverAt, clock: .continuous)
            observation.recoveredAtMs = try fault("rtt 0")
        case .downKill:
            observation.faultAtMs = try fault("down")
            try await Task.sleep(until: faultAt + options.outage / 2, clock: .continuous)
            // What the killed instance held in memory: the most a SIGKILL may cost.
            observation.inMemoryAtKill = timeline.latest.map { $0.queued + $0.inFlight }
            load.point(at: nil)
            timeline.pause()
            timeline.notePeak(of: service, instance: instance)
            observation.killedAtMs = WallTime.nowMs
            service.killHard()
            let copy = directory + "/spool-at-kill.db"
            try SpoolContents.copy(spoolPath, to: copy)
            observation.spoolsAtKills.append(copy)
            instance += 1
            service = try await startService(kafka: bootstrap, spool: spoolPath, instance: instance)
            observation.restartedAtMs = WallTime.nowMs
            timeline.follow(service, instance: instance)
            load.point(at: service.ingest)
            try await Task.sleep(until: recoverAt, clock: .continuous)
            observation.recoveredAtMs = try fault("up")
        case .degraded:
            observation.faultAtMs = try fault("down")
            try await Task.sleep(until: recoverAt, clock: .continuous)
            // Slow before it answers at all: the first answer is already a slow one.
            observation.degradedAtMs = try fault("rtt \(OutageScenario.degradedRoundTripMilliseconds)")
            observation.recoveredAtMs = try fault("up")
            try await Task.sleep(until: recoverAt + OutageScenario.degradedFor, clock: .continuous)
            observation.normalAtMs = try fault("rtt 0")
        case .degradedControl:
            observation.degradedAtMs = try fault("rtt \(OutageScenario.degradedRoundTripMilliseconds)")
            try await Task.sleep(until: faultAt + OutageScenario.degradedFor, clock: .continuous)
            observation.normalAtMs = try fault("rtt 0")
        }

        observation.loadEndMs = await loading.value
        observation.drainTimedOut = !(try await waitForDrain(timeline))
        try await Task.sleep(for: Self.idleSettling)
        observation.afterward = service.residentMemory()
        timeline.notePeak(of: service, instance: instance)
        timeline.pause()
        polling.cancel()
        let (status, _, stopLine) = service.terminate()
        if status != 0 { throw ChaosFailure("spillway serve exited with status \(status) on SIGTERM: \(stopLine)") }
        try await follower.catchUp(timeout: .seconds(120))

        observation.load = load.figures
        observation.read = follower.figures
        observation.timeline = timeline.all
        observation.peakResidentKiB = timeline.peakResidentKiB
        observation.stillSpooled = try SpoolContents.ids(inSpoolAt: spoolPath).ids
        observation.spooledAtKills = try observation.spoolsAtKills.map { try SpoolContents.ids(inSpoolAt: $0).ids }
        let defaults = ServiceSettings().pipeline
        observation.memoryBound = defaults.queue.maxRecords + defaults.spoolHandoff.maxRecords
        try Self.writeDiagnostics(observation, to: directory)
        return observation
    }

    /// The raw material, for a look after the fact (`--keep`): the events,
    /// the status timeline, and each record's stamp and first arrival.
    static func writeDiagnostics(_ observation: OutageObservation, to directory: String) throws {
        let events: [(String, Int64?)] = [
            ("load_start", observation.loadStartMs), ("fault", observation.faultAtMs), ("killed", observation.killedAtMs),
            ("restarted", observation.restartedAtMs), ("degraded", observation.degradedAtMs), ("recovered", observation.recoveredAtMs),
            ("normal", observation.normalAtMs), ("load_end", observation.loadEndMs),
        ]
        try events.compactMap { name, at in at.map { "\(name),\($0)" } }.joined(separator: "\n")
            .write(toFile: directory + "/events.csv", atomically: true, encoding: .utf8)
        let timeline = ["at_ms,instance,breaker,phase,rate,spooled,queued,in_flight,possibly_persisted,dropped,next_probe_in_s"] + observation.timeline.map {
            "\($0.atMs),\($0.instance),\($0.breakerState),\($0.replayPhase),\(Int($0.replayRate)),\($0.spooled),\($0.queued),\($0.inFlight),\($0.possiblyPersisted),\($0.dropped),\($0.nextProbeInSeconds.map { "\($0)" } ?? "")"
        }
        try timeline.joined(separator: "\n").write(toFile: directory + "/timeline.csv", atomically: true, encoding: .utf8)
        let read = observation.read
        let records = ["id,stamp_ms,first_read_ms,copies,partition,offset"] + read.firstCopies.sorted { $0.key < $1.key }.map { id, copy in
            "\(id),\(copy.timestampMs.map(String.init) ?? ""),\(copy.readAtMs),\(read.counts[id] ?? 1),\(copy.partition),\(copy.offset)"
        }
        try records.joined(separator: "\n").write(toFile: directory + "/records.csv", atomically: true, encoding: .utf8)
    }

    /// Sends a few records outside the measured ids and waits until the reader
    /// has them: the producer, the reader and their connections are up before the
    /// load starts, so the healthy second before the fault measures a running
    /// pipeline, not its first connection.
    private func warmUp(_ service: ServiceProcess, follower: TopicFollower) async throws {
        let body = (0..<100).map { "{\"value\":\"warm-up-\($0)\"}" }.joined(separator: "\n")
        let (status, answer) = try await HTTP.send("POST", "\(service.ingest)/v1/topics/\(topic)/records", body: Data(body.utf8), contentType: "application/x-ndjson")
        guard status == 202 else { throw ChaosFailure("the warm-up batch was refused: \(status) \(answer)") }
        let deadline = ContinuousClock.now + .seconds(30)
        while follower.progress.records < 100 {
            guard ContinuousClock.now < deadline else { throw ChaosFailure("the warm-up records did not arrive within 30 s") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits until the service owes Kafka nothing (nothing spooled, queued or in
    /// flight) for a second; `false` if that did not happen within the timeout.
    private func waitForDrain(_ timeline: StatusTimeline) async throws -> Bool {
        let deadline = ContinuousClock.now + options.drainTimeout
        var quietSince: ContinuousClock.Instant?
        while ContinuousClock.now < deadline {
            if let last = timeline.latest, last.spooled == 0, last.queued == 0, last.inFlight == 0 {
                let since = quietSince ?? .now
                quietSince = since
                if ContinuousClock.now - since >= .seconds(1) { return true }
            } else {
                quietSince = nil
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// `spillway serve` with its defaults, but for the record id header and the
    /// log level (info: every breaker and replay change is in the log).
    private func startService(kafka: String, spool: String, instance: Int) async throws -> ServiceProcess {
        var environment = ["SPILLWAY_LOG_LEVEL": "info", "SPILLWAY_RECORD_ID_HEADER": Self.recordIDHeader]
        environment.merge(options.environment) { $1 }
        if !options.kafkaProperties.isEmpty {
            // librdkafka properties come from a configuration file only.
            let file = directory + "/spillway.json"
            let json = try JSONSerialization.data(withJSONObject: ["kafka": ["properties": options.kafkaProperties]], options: [.sortedKeys])
            try json.write(to: URL(fileURLWithPath: file))
            environment["SPILLWAY_CONFIG"] = file
        }
        let service = try ServiceProcess(
            binary: tools + "/spillway", kafka: kafka, spool: spool, port: freeLoopbackPort(), adminPort: freeLoopbackPort(),
            environment: environment, logPath: "\(directory)/serve-\(instance).log"
        )
        try await service.waitUntilReady()
        return service
    }
}
