// spillway-chaos: rehearses outages against a real `spillway serve` and checks
// that every acknowledged record is delivered, spooled, or counted as dropped.
//
//   spillway-chaos [--profile short|long] [--keep]
//
// It runs the mock Kafka (`spillway-mock-kafka`) and the service as child
// processes, drives HTTP load with unique ids, and cycles faults: broker down,
// broker hang, produce errors, SIGTERM and restart, SIGKILL and restart, and a
// full disk (the spool lives on a small tmpfs, mounted in a user and mount
// namespace of its own). Then it reads everything back and prints a summary;
// it exits non-zero on any violation.
import ArgumentParser
import Foundation
import SpillwaySpool
import SpillwayTestKit

@main
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spillway-chaos",
        abstract: "Rehearse outages against spillway serve and check that nothing is silently lost."
    )

    enum Profile: String, ExpressibleByArgument, CaseIterable {
        case short, long
    }

    @Option(help: "short (about 90 s, for CI) or long (about 10 minutes: three rounds of every fault, longer phases).") var profile: Profile = .short
    @Option(help: "Work folder (default: a new temporary one).") var workdir: String?
    @Flag(help: "Keep the work folder afterwards.") var keep = false
    @Option(help: "Fail if any request took longer than this many milliseconds.") var maxLatencyMs: Int = 1000

    static let namespaceFlag = "SPILLWAY_CHAOS_IN_NAMESPACE"

    func run() async throws {
        // The full-disk fault needs a small filesystem: re-run inside a private mount namespace.
        if ProcessInfo.processInfo.environment[Self.namespaceFlag] == nil {
            var environment = ProcessInfo.processInfo.environment
            environment[Self.namespaceFlag] = "1"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            process.arguments = ["--user", "--map-root-user", "--mount", CommandLine.arguments[0]] + Array(CommandLine.arguments.dropFirst())
            process.environment = environment
            try process.run()
            process.waitUntilExit()
            throw ExitCode(process.terminationStatus)
        }
        // A watchdog: whatever happens, the rehearsal ends, and says why.
        let limit: Duration = profile == .short ? .seconds(300) : .seconds(1800)
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: Double(limit.components.seconds))
            print("spillway-chaos: gave up after \(limit): the rehearsal hung (FAIL)")
            fflush(nil)
            Foundation.exit(2)
        }
        var rehearsal = try Rehearsal(profile: profile, workdir: workdir, maxLatency: .milliseconds(maxLatencyMs))
        let passed = try await rehearsal.run()
        if !keep { rehearsal.cleanUp() }
        if !passed { throw ExitCode(1) }
    }
}
