import ArgumentParser
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Spillway
import SpillwayService
import SpillwaySpool
import SpillwayTestKit

/// `spillway-fuzz`: seeded random mutations of the corpus, sent to the ingest
/// decoders and routes of a real pipeline (librdkafka's mock cluster), for a
/// bounded time. After every request: no 5xx, a JSON answer, the ledger
/// balanced and `accepted` grown by exactly what the answer says was taken,
/// and each taken record equal to what Foundation's own readers see in the
/// request. At the end, Kafka holds only records that were taken, unchanged.
/// `--target kafka-wire` fuzzes Kafka's wire decoders instead (`KafkaWireFuzz`),
/// `--target spool-file` hostile spool files (`SpoolFileFuzz`).
@main
struct FuzzCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spillway-fuzz",
        abstract: "Fuzz Spillway's ingest decoders and routes for a bounded time; exits non-zero on the first violation."
    )

    @Option(help: "Seed for the mutations; printed, so a failing run can be repeated. Default: random.")
    var seed: UInt64?
    @Option(help: "Stop after this many seconds.") var seconds: Double = 60
    @Option(help: "Stop after this many requests (with the same seed, the same requests).") var iterations: Int?
    @Option(help: "Folder of seed requests (*.http).") var corpus: String = "tools/fuzz/corpus"
    @Option(help: "Where to write a failing request.") var failureDirectory: String = "."
    @Option(help: "What to fuzz: http (the ingest routes), kafka-wire (Kafka frames and record batches) or spool-file (damaged spool rows, through the spool commands and a replay).")
    var target: FuzzTarget = .http
    @Option(help: "Folder of captured Kafka frames (*.bin, size prefix included) for --target kafka-wire.")
    var kafkaCorpus: String = "tools/fuzz/corpus/kafka"

    enum FuzzTarget: String, ExpressibleByArgument, CaseIterable {
        case http
        case kafkaWire = "kafka-wire"
        case spoolFile = "spool-file"
    }

    func run() async throws {
        if target == .kafkaWire { return try runKafkaWire() }
        if target == .spoolFile { return try runSpoolFile() }
        let seed = self.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        print("spillway-fuzz: seed \(seed) (repeat with: spillway-fuzz --seed \(seed) --seconds \(Int(seconds)))")
        let seeds = try Self.loadCorpus(corpus)
        print("spillway-fuzz: \(seeds.count) corpus requests from \(corpus), \(Int(seconds)) s")

        let cluster = try MockKafkaCluster()
        for topic in ["fuzz-a", "fuzz-b", "fuzz-c"] { try cluster.createTopic(topic, partitions: 3) }
        let directory = TemporaryDirectory("spillway-fuzz")
        defer { directory.remove() }
        var settings = ServiceSettings()
        settings.pipeline.kafka.bootstrapServers = [cluster.bootstrapServers]
        settings.pipeline.kafka.linger = .milliseconds(2)
        settings.pipeline.kafka.properties["log_level"] = "0"
        settings.pipeline.spool.path = directory.file("spool.db")
        settings.pipeline.shutdownDeadline = .seconds(2)
        settings.maxBodyBytes = 256 * 1024
        var logger = Logger(label: "spillway-fuzz")
        logger.logLevel = .critical
        let server = try SpillwayServer(settings: settings, logger: logger, metrics: { "" })
        let buffer = server.buffer
        let running = Task { try await buffer.run() }

        let mutator = Mutator(corpus: seeds, random: FuzzRandom(seed: seed))
        let deadline = ContinuousClock.now + .seconds(seconds)
        let limit = iterations
        var (session, failure) = try await server.ingestApplication.test(.router) { client in
            var session = FuzzSession(buffer: buffer, mutator: mutator)
            // The corpus as is first, then mutations.
            var pending = seeds
            var lastReport = ContinuousClock.now
            while ContinuousClock.now < deadline, limit.map({ session.count < $0 }) ?? true {
                let request = pending.isEmpty ? session.mutator.mutate() : pending.removeFirst()
                if let problem = try await session.exercise(request, client: client) {
                    return (session, Optional((request, problem)))
                }
                if ContinuousClock.now - lastReport > .seconds(10) {
                    lastReport = ContinuousClock.now
                    print("spillway-fuzz: \(session.count) requests, \(session.acceptedRecords) records taken")
                }
            }
            return (session, nil)
        }
        if failure == nil, let problem = try await session.settleAndCompare(cluster: cluster) {
            failure = (FuzzRequest(path: "(after the run)", headers: [], body: []), problem)
        }
        buffer.shutdown()
        try await running.value

        if let (request, problem) = failure {
            let file = "\(failureDirectory)/fuzz-failure-\(seed)-\(session.count).http"
            _ = FileManager.default.createFile(atPath: file, contents: Data(request.fileText))
            print("spillway-fuzz: FAILED at request \(session.count) (seed \(seed)): \(problem)")
            print("spillway-fuzz: the request is in \(file); add it to \(corpus) once fixed")
            throw ExitCode.failure
        }
        let status = buffer.status()
        print("spillway-fuzz: \(session.count) requests in \(Int(seconds)) s, seed \(seed): \(session.acceptedRecords) records taken, "
            + "\(session.refusedRequests) requests refused; delivered \(status.ledger.delivered), spooled \(status.ledger.spooled), "
            + "dropped \(status.ledger.droppedTotal); no 5xx, ledger balanced, Kafka holds exactly what was taken")
    }

    static func loadCorpus(_ folder: String) throws -> [FuzzRequest] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".http") }.sorted()
        var requests: [FuzzRequest] = []
        for name in names {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name)")))
            guard let request = FuzzRequest(file: bytes) else { throw ValidationError("\(folder)/\(name) is not a request (POST /path, headers, blank line, body)") }
            requests.append(request)
        }
        guard !requests.isEmpty else { throw ValidationError("no *.http requests in \(folder)") }
        return requests
    }

    /// The kafka-wire mode: synchronous and pure, no pipeline needed.
    func runKafkaWire() throws {
        let seed = self.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        print("spillway-fuzz: kafka-wire, seed \(seed) (repeat with: spillway-fuzz --target kafka-wire --seed \(seed) --seconds \(Int(seconds)))")
        var fuzz = try KafkaWireFuzz(seed: seed, corpusFolder: kafkaCorpus)
        print("spillway-fuzz: \(fuzz.seedCount) seeds (frames from \(kafkaCorpus) and built ones, record sets in every codec), \(Int(seconds)) s")
        try rounds(count: { fuzz.count }) {
            guard let (input, kind, problem) = fuzz.step() else { return nil }
            let file = "\(failureDirectory)/fuzz-failure-kafka-wire-\(seed)-\(fuzz.count).\(kind).bin"
            _ = FileManager.default.createFile(atPath: file, contents: Data(input))
            return "FAILED at input \(fuzz.count) (seed \(seed)): \(kind): \(problem)\nspillway-fuzz: the input is in \(file)"
        } progress: {
            "\(fuzz.count) inputs, \(fuzz.decodedRequests) requests and \(fuzz.decodedBatches) batches decoded"
        }
        print("spillway-fuzz: kafka-wire, \(fuzz.count) inputs, seed \(seed): \(fuzz.decodedRequests) requests and \(fuzz.decodedBatches) batches decoded; "
            + "no crash, no hang, every decoded batch re-encodes to the same records")
    }

    /// The spool-file mode: a spool per round, damaged, then every reader.
    func runSpoolFile() throws {
        let seed = self.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        print("spillway-fuzz: spool-file, seed \(seed) (repeat with: spillway-fuzz --target spool-file --seed \(seed) --seconds \(Int(seconds)))")
        let spillway = BuiltProducts.path(of: "spillway")
        guard FileManager.default.isExecutableFile(atPath: spillway) else {
            throw ValidationError("no spillway executable next to spillway-fuzz (\(spillway)): build it first")
        }
        var fuzz = SpoolFileFuzz(seed: seed, spillway: spillway)
        fuzz.failureDirectory = failureDirectory
        defer { fuzz.remove() }
        try rounds(count: { fuzz.count }) {
            guard let (file, problem) = try fuzz.step() else { return nil }
            return "FAILED at round \(fuzz.count) (seed \(seed)): \(problem)\nspillway-fuzz: the damaged spool is in \(file)"
        } progress: {
            "\(fuzz.count) spools, \(fuzz.cellsChanged) cells damaged, \(fuzz.quarantined) rows quarantined"
        }
        print("spillway-fuzz: spool-file, \(fuzz.count) spools, seed \(seed): \(fuzz.cellsChanged) cells damaged, \(fuzz.commandsRun) commands run, "
            + "\(fuzz.delivered) records replayed, \(fuzz.quarantined) rows quarantined; no trap, no signal, no untouched row lost or changed, "
            + "check agreeing with the library, totals balanced")
    }

    /// Runs `step` until `--seconds` or `--iterations` is reached, with a
    /// progress line every 10 s; a step's failure is printed and ends the run.
    private func rounds(count: () -> Int, step: () throws -> String?, progress: () -> String) throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var lastReport = ContinuousClock.now
        while ContinuousClock.now < deadline, iterations.map({ count() < $0 }) ?? true {
            if let failure = try step() {
                print("spillway-fuzz: \(failure)")
                throw ExitCode.failure
            }
            if ContinuousClock.now - lastReport > .seconds(10) {
                lastReport = ContinuousClock.now
                print("spillway-fuzz: \(progress())")
            }
        }
    }
}
