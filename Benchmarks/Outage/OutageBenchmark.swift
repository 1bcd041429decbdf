// outage-benchmark: how Spillway comes through a Kafka outage, against
// `spillway-mock-kafka` out of process, with HTTP NDJSON load and a reader
// following the topic (issue 10). Not run in CI: about a minute per scenario.
//
//   swift build -c release && .build/release/outage-benchmark [--scenario NAME]... [--runs N]
//
// Each scenario sends 200,000 records with unique ids as NDJSON batches of 100
// at 10,000 records/s to a `spillway serve` with default settings (plus a
// record id header), and starts its fault 1 s into the load: the broker down
// for 15 s; hung for 15 s (round trip 60 s); down with the service SIGKILLed
// halfway and restarted; down, then back with a 500 ms round trip for 10 s
// while the backlog replays (and its control: the same round trip, no outage).
// It prints, per run, what was acknowledged, delivered, lost and duplicated,
// the detection delay, the drain time, live latency before and during replay,
// peak RSS and the slowest request; then each target of the issue, met or not.
import ArgumentParser
import Foundation

@main
struct OutageBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outage-benchmark",
        abstract: "Rehearse Kafka outages against spillway serve and measure the recovery (BENCHMARKS.md)."
    )

    @Option(name: .customLong("scenario"), help: "A scenario to run (repeatable): \(OutageScenario.allCases.map(\.rawValue).joined(separator: ", ")); default all.")
    var scenarios: [OutageScenario] = []
    @Option(help: "Runs of each scenario, interleaved.") var runs = 1
    @Option(help: "Records per scenario.") var records = 200_000
    @Option(help: "Records per second.") var rate = 10_000.0
    @Option(help: "Records per NDJSON request.") var batch = 100
    @Option(help: "Outage length, seconds.") var outageSeconds = 15
    @Option(help: "How long to wait for the backlog once the load ended, seconds.") var drainTimeoutSeconds = 240
    @Option(name: .customLong("env"), help: ArgumentHelp("A setting for the service, as its variable: SPILLWAY_BREAKER_PROBE_MAX_INTERVAL_MS=500 (repeatable; default: every default).", valueName: "SPILLWAY_NAME=VALUE"))
    var settings: [String] = []
    @Option(name: .customLong("kafka-property"), help: ArgumentHelp("A librdkafka property for the service, through a configuration file (repeatable).", valueName: "NAME=VALUE"))
    var kafkaProperties: [String] = []
    @Option(help: "Work folder (default: a new temporary one).") var workdir: String?
    @Flag(help: "Keep the work folder (service logs, spool copies) afterwards.") var keep = false

    func run() async throws {
        let tools = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        for binary in ["spillway", "spillway-mock-kafka"] where !FileManager.default.isExecutableFile(atPath: "\(tools)/\(binary)") {
            throw ValidationError("\(tools)/\(binary) is missing: build the package first (swift build -c release)")
        }
        let directory = workdir ?? FileManager.default.temporaryDirectory.appending(path: "spillway-outage-\(getpid())").path
        var options = OutageRun.Options()
        options.records = records
        options.recordsPerSecond = rate
        options.batchSize = batch
        options.outage = .seconds(outageSeconds)
        options.drainTimeout = .seconds(drainTimeoutSeconds)
        for setting in settings {
            let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0].hasPrefix("SPILLWAY_") else { throw ValidationError("--env \(setting): give SPILLWAY_NAME=VALUE") }
            options.environment[parts[0]] = parts[1]
        }
        for property in kafkaProperties {
            let parts = property.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--kafka-property \(property): give NAME=VALUE") }
            options.kafkaProperties[parts[0]] = parts[1]
        }
        let chosen = scenarios.isEmpty ? OutageScenario.allCases : scenarios
        print("outage benchmark: \(records) records, NDJSON batches of \(batch), \(Int(rate)) records/s, outage \(outageSeconds) s from 1 s into the load; \(runs) run(s) of \(chosen.map(\.rawValue).joined(separator: ", "))")
        print("work folder \(directory)")
        if !settings.isEmpty || !kafkaProperties.isEmpty {
            print("service settings beyond the defaults: \((settings + kafkaProperties.map { "kafka.properties.\($0)" }).joined(separator: " "))")
        }
        var results: [OutageFigures] = []
        for round in 1...runs {
            for scenario in chosen {
                let started = ContinuousClock.now
                let stallsBefore = MachineStalls.now
                print("[\(Date().formatted(Date.ISO8601FormatStyle().time(includingFractionalSeconds: false)))] run \(round): \(scenario.title)...", terminator: "")
                fflush(nil)
                let run = OutageRun(scenario: scenario, options: options, directory: "\(directory)/\(scenario.rawValue)-\(round)", tools: tools)
                let figures = OutageFigures(try await run.run())
                results.append(figures)
                let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
                print(" \(ContinuousClock.now - started) (load average now \(load); \(MachineStalls.now.since(stallsBefore)))")
                OutageReport.printDetail(figures, run: round)
            }
        }
        OutageReport.printTable(results)
        let allMet = OutageReport.printTargets(results, outage: .seconds(outageSeconds))
        if !keep { try? FileManager.default.removeItem(atPath: directory) }
        if !allMet { print("(some targets are not met on this run: see above)") }
    }
}
