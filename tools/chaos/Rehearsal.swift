import Foundation
import NIOConcurrencyHelpers
import SpillwayRehearsal
import SpillwaySpool
import SpillwayTestKit

/// One chaos run: the processes, the faults, and the books.
struct Rehearsal {
    /// What the service sends to.
    enum Target {
        /// `spillway-mock-kafka`, started here, with its own fault commands.
        case mock
        /// A real broker that advertises 127.0.0.1:`proxyPort`, where `spillway-fault-proxy` is started.
        case external(broker: String, proxyPort: Int, brokerPid: Int32?, label: String)
    }

    let profile: ChaosCommand.Profile
    let target: Target
    let directory: String
    let disk: String
    let spoolPath: String
    let maxLatency: Duration
    let topic: String
    /// Whether the spool sits on a small tmpfs of its own (for the full-disk fault).
    let mountedDisk: Bool
    /// Memory bound of one service instance: what a SIGKILL may cost at most.
    let memoryBound = 2000 + 2000
    /// The header the services stamp each record's id in, so duplicates can be told from resends.
    static let recordIDHeader = "spillway-id"
    var log: [(date: Date, line: String)] = []
    var faults: [String] = []
    var droppedCounted = 0
    /// Drops by reason, from each instance's last metrics reading.
    var droppedByReason: [String: Int] = [:]
    var killLossBound = 0
    /// Hand-overs over 10 ms, summed over the instances.
    var slowHandovers = 0
    /// Records the services counted as possibly persisted, summed over the instances (each one's last status).
    var possiblyPersisted = 0
    /// For each SIGKILL, a copy of the spool as the killed instance left it: what a restart may replay twice.
    var spoolsAtKills: [String] = []
    var violations: [String] = []
    var instances = 0
    /// Extra summary rows: what was tested against (interop).
    var context: [(String, String)] = []
    /// Sampled records to compare field by field once everything is read back (interop).
    var fidelity: FidelityCheck?
    /// A share of the load through the services' Kafka listener, with librdkafka.
    let listenerLoad: ListenerLoad
    var listenerTask: Task<Void, Never>?
    /// The second cluster (short and long profiles), with books of its own.
    var side: SideCluster?
    var sideLoadTask: Task<Void, Never>?

    init(profile: ChaosCommand.Profile, target: Target, topic: String, workdir: String?, maxLatency: Duration) throws {
        self.profile = profile
        self.target = target
        self.topic = topic
        self.maxLatency = maxLatency
        listenerLoad = ListenerLoad(topic: topic)
        directory = workdir ?? FileManager.default.temporaryDirectory.appending(path: "spillway-chaos-\(getpid())").path
        disk = directory + "/disk"
        spoolPath = disk + "/spool.db"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        mountedDisk = profile != .interop
        if mountedDisk {
            let mount = try ChildProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=48m", "tmpfs", disk])
            guard mount.status == 0 else { throw ChaosFailure("cannot mount a tmpfs for the full-disk fault: \(mount.stderr)") }
        }
    }

    func cleanUp() {
        if mountedDisk { _ = try? ChildProcess.run("/bin/umount", [disk]) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    mutating func say(_ line: String) {
        let stamp = Date().formatted(Date.ISO8601FormatStyle().time(includingFractionalSeconds: false))
        print("[\(stamp)] \(line)")
        fflush(nil)
        log.append((Date(), line))
    }

    var phase: Duration { profile == .short ? .seconds(5) : .seconds(12) }
    var rounds: Int { profile == .short ? 1 : 3 }

    // MARK: The run

    mutating func run() async throws -> Bool {
        switch target {
        case .mock: try await runAgainstMock()
        case let .external(broker, proxyPort, brokerPid, label):
            try await runThroughProxy(broker: broker, proxyPort: proxyPort, brokerPid: brokerPid, label: label)
        }
    }

    /// The short and long profiles: every fault the mock cluster can inject.
    mutating func runAgainstMock() async throws -> Bool {
        let started = ContinuousClock.now
        let tools = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let mock = try ChildProcess(tools + "/spillway-mock-kafka", ["--topic", "\(topic):2"])
        defer { mock.kill(SIGTERM); mock.wait() }
        guard let first = mock.readLine(), first.hasPrefix("bootstrap ") else { throw ChaosFailure("the mock Kafka did not start") }
        let bootstrap = String(first.dropFirst("bootstrap ".count))
        say("mock Kafka at \(bootstrap); spool on a 48 MiB tmpfs at \(disk)")
        let follower = try TopicFollower(bootstrapServers: bootstrap, topic: topic, recordIDHeader: Self.recordIDHeader)
        defer { follower.stop() }
        side = try SideCluster(tools: tools, directory: directory, mainSpool: spoolPath, recordIDHeader: Self.recordIDHeader)
        defer { side?.stop() }
        say("side cluster (clusters.side, topic \(side!.topic)) on a mock Kafka of its own at \(side!.bootstrap); spool \(side!.spoolPath)")

        let load = LoadGenerator(topic: topic, concurrency: 8, pause: .milliseconds(2))
        let loadTask = Task { await load.run() }
        let sideLoad = side!.load
        sideLoadTask = Task { await sideLoad.run() }
        var service = try await startService(binary: tools + "/spillway", kafka: bootstrap)
        // Whatever ends the run, no service is left behind (a no-op once it has stopped).
        defer { service.killHard() }
        startListenerLoad()
        point(load, at: service)

        func fault(_ command: String) throws {
            mock.write(command + "\n")
            guard let reply = mock.readLine(), reply.hasPrefix("ok") else { throw ChaosFailure("mock Kafka refused \(command)") }
        }

        switch await FidelityCheck.send(to: service.ingest, topic: topic) {
        case .success(let check): fidelity = check
        case .failure(let failure): violations.append(failure.description)
        }
        for round in 1...rounds {
            say("round \(round): healthy traffic"); try await hold(service)
            say("fault: broker down"); faults.append("broker down"); try fault("down"); try await hold(service, times: 2)
            try fault("up"); say("broker up: recovering"); try await hold(service, times: 2)
            say("fault: broker hang (round trip 10 s, message timeout 2 s)"); faults.append("broker hang"); try fault("rtt 10000"); try await hold(service, times: 2)
            try fault("rtt 0"); say("hang over: recovering"); try await hold(service, times: 2)
            say("fault: produce errors (NOT_ENOUGH_REPLICAS x200, MSG_SIZE_TOO_LARGE x3)"); faults.append("produce errors")
            try fault("errors NOT_ENOUGH_REPLICAS 200"); try fault("errors MSG_SIZE_TOO_LARGE 3"); try await hold(service)
            try fault("clear")

            // Two clusters, two independent faults, and a crash while both last.
            say("fault: main cluster down while the side cluster hangs (round trip 10 s), SIGKILL in between"); faults.append("main down + side hung + SIGKILL")
            try fault("down"); try side?.fault("rtt 10000"); try await hold(service)
            service = try await killAndRestart(service, load: load, binary: tools + "/spillway", kafka: bootstrap)
            try await hold(service)
            try fault("up"); try side?.fault("rtt 0"); say("both clusters back: recovering"); try await hold(service, times: 2)

            say("fault: SIGTERM and restart"); faults.append("SIGTERM")
            point(load, at: nil)
            let droppedBefore = try await service.settledDroppedByCluster()
            let (status, _, stopLines) = service.terminateClusters()
            if status != 0 { violations.append("SIGTERM: exit status \(status)") }
            for cluster in ["default"] + (side == nil ? [] : [SideCluster.name]) {
                let stopLine = stopLines[cluster] ?? ""
                let before = droppedBefore[cluster, default: 0]
                let droppedAfter = Self.figure("dropped", in: stopLine)
                if let droppedAfter, droppedAfter > before {
                    violations.append("SIGTERM: shutting down cluster \(cluster) dropped \(droppedAfter - before) records: \(stopLine)")
                }
                if droppedAfter == nil || Self.figure("imbalance", in: stopLine) != 0 {
                    violations.append("SIGTERM: cluster \(cluster)'s shutdown was not clean: \(stopLine.isEmpty ? "no stop line" : stopLine)")
                }
                if cluster == "default" {
                    droppedCounted += droppedAfter ?? before
                } else {
                    side?.droppedCounted += droppedAfter ?? before
                }
            }
            droppedByReason.merge(service.lastDroppedByCluster["default"] ?? [:], uniquingKeysWith: +)
            side?.droppedByReason.merge(service.lastDroppedByCluster[SideCluster.name] ?? [:], uniquingKeysWith: +)
            possiblyPersisted += service.lastStatus?.ledger.possiblyPersisted ?? 0
            side?.possiblyPersisted += service.lastStatus?.clusters?.first { $0.cluster == SideCluster.name }?.ledger.possiblyPersisted ?? 0
            slowHandovers += service.slowHandovers
            service = try await startService(binary: tools + "/spillway", kafka: bootstrap)
            point(load, at: service)
            try await hold(service)

            say("fault: SIGKILL and restart"); faults.append("SIGKILL")
            service = try await killAndRestart(service, load: load, binary: tools + "/spillway", kafka: bootstrap)
            try await hold(service)

            say("fault: full disk (breaker forced open, so everything goes to the spool)"); faults.append("full disk")
            try await service.setBreaker("open")
            let filler = disk + "/filler"
            _ = try ChildProcess.run("/bin/sh", ["-c", "head -c 60000000 /dev/zero > \(filler) 2>/dev/null; true"])
            try await hold(service, times: 2)
            try? FileManager.default.removeItem(atPath: filler)
            say("disk space back"); try await hold(service)
            try await service.setBreaker("auto")
            try await hold(service, times: 2)
        }

        return try await finish(service: service, load: load, loadTask: loadTask, follower: follower, started: started)
    }

    /// Stops the load, lets the spool drain, stops the service, reads back, checks the books.
    mutating func finish(service: ServiceProcess, load: LoadGenerator, loadTask: Task<Void, Never>, follower: TopicFollower, started: ContinuousClock.Instant) async throws -> Bool {
        say("stopping load; letting the spool drain")
        point(load, at: nil)
        loadTask.cancel()
        sideLoadTask?.cancel()
        listenerTask?.cancel()
        // Requests still out get their own deadline; do not wait on them for longer.
        let stopped = NIOLockedValueBox(false)
        Task { await loadTask.value; stopped.withLockedValue { $0 = true } }
        let loadDeadline = ContinuousClock.now + .seconds(15)
        while !stopped.withLockedValue({ $0 }), ContinuousClock.now < loadDeadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        // A listener batch out waits for its reports (librdkafka's message timeout, 5 s).
        await listenerTask?.value
        await sideLoadTask?.value
        say("load stopped: \(load.figures.acknowledged.count) acknowledged over HTTP, \(listenerLoad.figures.acknowledged.count) through the Kafka listener; draining")
        let drainDeadline = ContinuousClock.now + (profile == .long ? .seconds(300) : .seconds(60))
        while ContinuousClock.now < drainDeadline {
            let metrics = await service.scrape()
            if metrics["spillway_spool_records", default: 1] - metrics["spillway_spool_dead_letters", default: 0] == 0,
               metrics["spillway_queued", default: 1] == 0, metrics["spillway_in_flight", default: 1] == 0 { break }
            try await Task.sleep(for: .seconds(1))
        }
        let finalScrape = await service.scrape()
        slowHandovers += service.slowHandovers
        possiblyPersisted += service.lastStatus?.ledger.possiblyPersisted ?? 0
        say("drained; stopping the service")
        let (finalStatus, finalStderr, finalStops) = service.terminateClusters()
        let finalStop = finalStops["default"] ?? ""
        droppedCounted += Self.figure("dropped", in: finalStop) ?? Int(service.lastMetricsByCluster["default"]?["spillway_dropped_total"] ?? finalScrape["spillway_dropped_total", default: 0])
        droppedByReason.merge(service.lastDroppedByCluster["default"] ?? [:], uniquingKeysWith: +)
        if side != nil {
            side?.droppedCounted += Self.figure("dropped", in: finalStops[SideCluster.name] ?? "") ?? Int(service.lastMetricsByCluster[SideCluster.name]?["spillway_dropped_total"] ?? 0)
            side?.droppedByReason.merge(service.lastDroppedByCluster[SideCluster.name] ?? [:], uniquingKeysWith: +)
            side?.possiblyPersisted += service.lastStatus?.clusters?.first { $0.cluster == SideCluster.name }?.ledger.possiblyPersisted ?? 0
        }
        say("reading back Kafka and the spool")
        if finalStatus != 0 { violations.append("final SIGTERM: exit status \(finalStatus): \(finalStderr.suffix(300))") }

        try await follower.catchUp(timeout: .seconds(120))
        try await side?.follower.catchUp(timeout: .seconds(120))
        if let fidelity {
            let problems = fidelity.problems(in: follower.figures.samples)
            violations += problems
            context.append(("record fidelity", problems.isEmpty
                ? "\(FidelityCheck.expected.count) sampled records intact (keys text and binary, headers, partition, timestamp)"
                : "\(problems.count) differences (see the violations)"))
        }
        return try report(load: load.figures, read: follower.figures, elapsed: ContinuousClock.now - started)
    }

    // MARK: Helpers

    /// SIGKILL, counting what the instance had dropped and the memory it may lose; then a new instance.
    mutating func killAndRestart(_ service: ServiceProcess, load: LoadGenerator, binary: String, kafka: String) async throws -> ServiceProcess {
        await service.scrape()
        droppedCounted += Int(service.lastMetricsByCluster["default"]?["spillway_dropped_total"] ?? 0)
        droppedByReason.merge(service.lastDroppedByCluster["default"] ?? [:], uniquingKeysWith: +)
        possiblyPersisted += service.lastStatus?.ledger.possiblyPersisted ?? 0
        point(load, at: nil)
        slowHandovers += service.slowHandovers
        service.killHard()
        killLossBound += memoryBound
        // What the killed instance left in its spool is replayed by the next one: if it had
        // already delivered some of it (acknowledged, not yet deleted), those arrive twice.
        let copy = "\(directory)/spool-at-kill-\(spoolsAtKills.count + 1).db"
        try SpoolContents.copy(spoolPath, to: copy)
        spoolsAtKills.append(copy)
        try side?.noteKilled(service, memoryBound: memoryBound, copyTo: "\(directory)/side-spool-at-kill-\(spoolsAtKills.count).db")
        let next = try await startService(binary: binary, kafka: kafka)
        point(load, at: next)
        return next
    }

    /// Starts the Kafka-listener share of the load; it waits until `point` names a service.
    mutating func startListenerLoad() {
        let listenerLoad = listenerLoad
        listenerTask = Task { await listenerLoad.run() }
    }

    /// Points the HTTP load and the Kafka-listener load at `service` (`nil`: none is up).
    func point(_ load: LoadGenerator, at service: ServiceProcess?) {
        load.point(at: service?.ingest)
        side?.load.point(at: service?.ingest)
        listenerLoad.point(at: service?.kafkaListener)
    }

    /// `ack.timeout_ms` for the records that ask for `spool` or `kafka`: short, so a
    /// fault shows up as answers at the deadline, not as requests the harness waits on.
    static let ackTimeoutMilliseconds = 500

    mutating func startService(binary: String, kafka: String) async throws -> ServiceProcess {
        let environment = [
            "SPILLWAY_LOG_LEVEL": "notice",
            "SPILLWAY_KAFKA_MESSAGE_TIMEOUT_MS": "2000",
            "SPILLWAY_SHUTDOWN_DEADLINE_MS": "1000",
            "SPILLWAY_QUEUE_MAX_RECORDS": "2000",
            "SPILLWAY_SPOOL_HANDOFF_MAX_RECORDS": "2000",
            "SPILLWAY_SPOOL_MAX_BYTES": "\(32 << 20)",
            "SPILLWAY_BREAKER_WINDOW_SIZE": "50",
            "SPILLWAY_BREAKER_MINIMUM_CALLS": "10",
            "SPILLWAY_BREAKER_SLOW_CALL_MS": "800",
            "SPILLWAY_BREAKER_OPEN_MS": "1000",
            "SPILLWAY_BREAKER_MAX_OPEN_MS": "4000",
            "SPILLWAY_BREAKER_HALF_OPEN_IDLE_MS": "1000",
            "SPILLWAY_BREAKER_PROBE_TIMEOUT_MS": "1000",
            "SPILLWAY_REPLAY_RECORDS_PER_SECOND": "3000",
            "SPILLWAY_REPLAY_MIN_RECORDS_PER_SECOND": "1000",
            "SPILLWAY_RECORD_ID_HEADER": Self.recordIDHeader,
            "SPILLWAY_ACK_TIMEOUT_MS": "\(Self.ackTimeoutMilliseconds)",
        ]
        instances += 1
        let service = try ServiceProcess(
            binary: binary, kafka: kafka, spool: spoolPath, port: freeLoopbackPort(), adminPort: freeLoopbackPort(), kafkaPort: freeLoopbackPort(),
            config: side?.configPath, environment: environment, logPath: "\(directory)/serve-\(instances).log"
        )
        try await service.waitUntilReady()
        return service
    }

    /// Lets the current phase run, scraping the service's metrics as it goes.
    func hold(_ service: ServiceProcess, times: Int = 1) async throws {
        let end = ContinuousClock.now + phase * times
        while ContinuousClock.now < end {
            await service.scrape()
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Reads back Kafka and the spool, checks the books, prints the summary.
    mutating func report(load http: LoadGenerator.Figures, read: TopicFollower.Figures, elapsed: Duration) throws -> Bool {
        // The listener's share joins HTTP's books: each record reported delivered at
        // acks=1 or all was answered as on disk or in Kafka.
        let listener = listenerLoad.figures
        var load = http
        load.acknowledged.formUnion(listener.acknowledged)
        load.durable.formUnion(listener.acknowledged)
        load.sentWaiting += listener.sent
        load.kafkaPositions.merge(listener.kafkaPositions) { first, _ in first }
        if listener.acknowledged.isEmpty {
            violations.append("the Kafka listener acknowledged none of the \(listener.sent) records produced through it: \(listener.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        }
        let deliveredCount = read.counts
        if read.missed > 0 {
            violations.append("the reader missed \(read.missed) records: the broker dropped them before they were read, so the books cannot be checked")
        }
        let (spooled, deadLetters) = try SpoolContents.ids(inSpoolAt: spoolPath)
        let delivered = Set(deliveredCount.keys)
        let missing = load.acknowledged.subtracting(delivered).subtracting(spooled)
        let duplicateIDs = Set(deliveredCount.filter { $0.value > 1 }.keys)
        let attribution = try explainedDuplicates(in: read)
        if !attribution.unexplained.isEmpty {
            violations.append("\(attribution.unexplained.count) duplicated ids are neither marked possibly persisted nor replayed after a SIGKILL (list in duplicate-ids.txt), for example: "
                + attribution.unexplained.prefix(3).map { "chaos-\($0.id): \($0.why)" }.joined(separator: "; "))
        }
        if !duplicateIDs.isEmpty {
            let unexplained = attribution.unexplained.map { "unexplained chaos-\($0.id): \($0.why)" }
            try (unexplained + ["duplicated ids:"] + Self.ranges(of: duplicateIDs)).joined(separator: "\n")
                .write(toFile: directory + "/duplicate-ids.txt", atomically: true, encoding: .utf8)
        }
        // Answered at spool or kafka: owed across every fault, SIGKILL included; only a
        // counted eviction (the spool at its bound) may take one after its answer.
        let durableMissing = load.durable.subtracting(delivered).subtracting(spooled)
        let evicted = droppedByReason["spool_evicted", default: 0]
        if durableMissing.count > evicted {
            violations.append("\(durableMissing.count) records answered as on disk or in Kafka are missing (spool evictions counted: \(evicted)): \(Self.ranges(of: durableMissing).prefix(10).joined(separator: ", "))")
        }
        var idAtPosition: [String: Int] = [:]
        for (id, copy) in read.firstCopies { idAtPosition["\(copy.partition)/\(copy.offset)"] = id }
        for (id, copies) in read.laterCopies { for copy in copies { idAtPosition["\(copy.partition)/\(copy.offset)"] = id } }
        let misplaced = load.kafkaPositions.filter { idAtPosition[$0.value] != $0.key }
        if !misplaced.isEmpty {
            let examples = misplaced.prefix(5).map { "chaos-\($0.key) at \($0.value) (found \(idAtPosition[$0.value].map { "chaos-\($0)" } ?? "nothing"))" }
            violations.append("\(misplaced.count) of Kafka's answers name a partition and offset where the reader did not find the record: \(examples.joined(separator: "; "))")
        }
        let waitBound = Duration.milliseconds(Self.ackTimeoutMilliseconds) + maxLatency
        if load.slowestWaiting > waitBound {
            violations.append("a spool/kafka request waited \(load.slowestWaiting), over ack.timeout_ms + \(maxLatency)")
        }
        let allowed = droppedCounted + killLossBound
        if missing.count > allowed {
            violations.append("\(missing.count) acknowledged records are neither delivered, spooled nor counted as dropped (counted drops \(droppedCounted), SIGKILL bound \(killLossBound))")
        }
        if load.slowest > maxLatency {
            violations.append("a request took \(load.slowest), over the \(maxLatency) bound: the hand-over blocked (\(phase(at: load.slowestSentAt)))")
        }
        let unexplained = max(0, missing.count - droppedCounted)
        if !missing.isEmpty {
            try Self.ranges(of: missing).joined(separator: "\n").write(toFile: directory + "/missing-ids.txt", atomically: true, encoding: .utf8)
        }

        var sideRows = ""
        if let side {
            let (summary, sideViolations) = try side.check(maxLatency: maxLatency)
            violations += sideViolations
            sideRows = summary.map { $0 + "\n" }.joined()
        }
        let contextRows = context.map { $0.0.padding(toLength: 21, withPad: " ", startingAt: 0) + " " + $0.1 + "\n" }.joined()
        print("""

            ==================== spillway chaos: \(profile.rawValue) profile ====================
            duration              \(elapsed)
            \(contextRows)faults injected       \(faults.joined(separator: ", "))
            requests acknowledged \(http.acknowledged.count) over HTTP  (refused \(load.refused), unreachable during restarts \(load.unreachable))
            Kafka listener        \(listener.acknowledged.count) of \(listener.sent) records acknowledged at acks=1/all (\(listener.batches) librdkafka producers; not acknowledged: \(listener.errors.isEmpty ? "none" : listener.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
            answered on disk/Kafka \(load.durable.count) of \(load.sentWaiting) sent at ack spool/kafka (HTTP) or acks=1/all (listener); missing \(durableMissing.count) (must be 0); \(load.kafkaPositions.count) offsets checked, \(misplaced.count) wrong
            delivered to Kafka    \(delivered.intersection(load.acknowledged).count) unique  (\(read.records) records read back)
            still in the spool    \(spooled.count)  (\(deadLetters) dead letters)
            dropped, counted      \(droppedCounted)  (by the services' own metrics: \(droppedByReason.values.allSatisfy { $0 == 0 } ? "none" : droppedByReason.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
            lost to SIGKILL       \(unexplained)  (bound: \(killLossBound), the memory queue and hand-off of \(killLossBound / max(memoryBound, 1)) killed instance(s))
            duplicates            \(attribution.summary)
            possibly persisted    \(possiblyPersisted) records counted by the services (status ledger.possibly_persisted, each instance's last reading)
            slow hand-overs       \(slowHandovers) over 10 ms  (the services' own histogram: the hand-over itself, without HTTP)
            slowest request       \(load.slowest)  (bound \(maxLatency); \(phase(at: load.slowestSentAt))); at spool/kafka \(load.slowestWaiting)  (bound \(waitBound))
            \(sideRows)verdict               \(violations.isEmpty ? "PASS" : "FAIL")
            """)
        for violation in violations { print("  violation: \(violation)") }
        print("=========================================================================")
        return violations.isEmpty
    }

    /// Attributes every duplicate read back: to a copy marked possibly persisted
    /// (the services stamp record ids, so their resends say so), or to a SIGKILL
    /// whose spool still held the record; `report` fails on the rest.
    func explainedDuplicates(in read: TopicFollower.Figures) throws -> DuplicateAttribution {
        let spooledAtKills = try spoolsAtKills.map { try SpoolContents.ids(inSpoolAt: $0).ids }
        return DuplicateAttribution(TopicFollower.duplicates(in: read), spooledAtKills: spooledAtKills)
    }

    /// "sent 12:00:03, during: fault: broker down", from the log of `say`.
    func phase(at date: Date?) -> String {
        guard let date else { return "no request answered" }
        let stamp = date.formatted(Date.ISO8601FormatStyle().time(includingFractionalSeconds: true))
        return "sent \(stamp), during: \(log.last { $0.date <= date }?.line ?? "start-up")"
    }

    /// `NAME=N` from a log line such as the shutdown line.
    static func figure(_ name: String, in line: String) -> Int? {
        guard let range = line.range(of: " \(name)=") else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }

    /// Sorted ids as `a-b` runs, for a file a person can read.
    static func ranges(of ids: Set<Int>) -> [String] {
        var runs: [String] = []
        var sorted = ids.sorted()[...]
        while let start = sorted.popFirst() {
            var end = start
            while sorted.first == end + 1 { end = sorted.removeFirst() }
            runs.append(start == end ? "\(start)" : "\(start)-\(end) (\(end - start + 1))")
        }
        return runs
    }
}
