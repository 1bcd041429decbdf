// spillway-chaos: rehearses outages against a real `spillway serve` and checks
// that every acknowledged record is delivered, spooled, or counted as dropped.
//
//   spillway-chaos [--profile short|long] [--keep]
//   spillway-chaos --profile interop --broker HOST:PORT --proxy-port PORT [--broker-pid PID] [--topic NAME]
//
// short and long run the mock Kafka (`spillway-mock-kafka`) and the service as
// child processes, drive HTTP load with unique ids, and cycle faults: broker
// down, broker hang, produce errors, SIGTERM and restart, SIGKILL and restart,
// and a full disk (the spool lives on a small tmpfs, mounted in a user and
// mount namespace of its own). The service runs a second cluster (`side`, on
// a mock Kafka of its own, with load of its own); one phase takes the main
// cluster down while the side cluster hangs, SIGKILL in between, and each
// cluster's books are checked apart.
//
// interop rehearses against a real, external broker (Tansu in CI, through
// `tools/interop`) that advertises 127.0.0.1:PROXY-PORT: it puts
// `spillway-fault-proxy` there and cycles proxy down, proxy hang, the broker
// paused (SIGSTOP/SIGCONT, with --broker-pid), traffic through a 3 s round
// trip, and SIGKILL + restart of the service during an outage.
//
// Then it reads everything back, checks the books, prints a summary, and
// exits non-zero on any violation.
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
        case short, long, interop
    }

    @Option(help: "short (about 110 s, for CI), long (about 10 minutes: three rounds of every fault, longer phases), or interop (about 100 s against --broker through the fault proxy).")
    var profile: Profile = .short
    @Option(help: "interop: the real broker, HOST:PORT, which must advertise 127.0.0.1:<proxy-port>.") var broker: String?
    @Option(help: "interop: where the fault proxy listens (the broker's advertised port).") var proxyPort: Int?
    @Option(help: "interop: the broker's process id, to pause it with SIGSTOP (skipped without it).") var brokerPid: Int32?
    @Option(help: "interop: what the broker is, for the summary.") var brokerLabel: String?
    @Option(help: "The topic to write (it must exist on an external broker).") var topic: String = "chaos"
    @Option(help: "Work folder (default: a new temporary one).") var workdir: String?
    @Flag(help: "Keep the work folder afterwards.") var keep = false
    @Option(help: "Fail if any request took longer than this many milliseconds.") var maxLatencyMs: Int = 1000

    static let namespaceFlag = "SPILLWAY_CHAOS_IN_NAMESPACE"

    func validate() throws {
        if profile == .interop, broker == nil || proxyPort == nil {
            throw ValidationError("--profile interop needs --broker HOST:PORT and --proxy-port PORT (tools/interop passes them)")
        }
    }

    func run() async throws {
        // The full-disk fault needs a small filesystem: re-run inside a private mount namespace.
        if profile != .interop, ProcessInfo.processInfo.environment[Self.namespaceFlag] == nil {
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
        let limit: Duration = profile == .long ? .seconds(1800) : .seconds(300)
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: Double(limit.components.seconds))
            print("spillway-chaos: gave up after \(limit): the rehearsal hung (FAIL)")
            fflush(nil)
            Foundation.exit(2)
        }
        let target: Rehearsal.Target = if let broker, let proxyPort, profile == .interop {
            .external(broker: broker, proxyPort: proxyPort, brokerPid: brokerPid, label: brokerLabel ?? broker)
        } else {
            .mock
        }
        var rehearsal = try Rehearsal(profile: profile, target: target, topic: topic, workdir: workdir, maxLatency: .milliseconds(maxLatencyMs))
        let passed = try await rehearsal.run()
        if !keep { rehearsal.cleanUp() }
        if !passed { throw ExitCode(1) }
    }
}
