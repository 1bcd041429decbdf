// spillway-mock-kafka: librdkafka's mock cluster as a process, with fault
// injection, to rehearse outages against a running `spillway serve`.
//
//   spillway-mock-kafka [--brokers N] [--topic NAME[:PARTITIONS]]... [--control-port PORT]
//
// Prints `bootstrap HOST:PORT` first, then takes commands on standard input
// (one per line) and, with --control-port, over HTTP (`POST /down`, `/up`,
// `/rtt?ms=N`, `/errors?code=NAME&count=N`, `/clear`, `GET /status`):
//
//   down [BROKER]          brokers stop answering and refuse connections
//   up [BROKER]            they come back
//   rtt MS [BROKER]        delay every response by MS milliseconds (a hung cluster)
//   errors CODE COUNT      the next COUNT Produce requests fail with CODE (name or number)
//   clear                  forget pushed errors
//   status                 what is in force
//   quit                   stop
//
// Like any librdkafka mock broker it keeps only the newest 5 MiB (or 100,000
// batches) of each partition and drops older records silently: read back with
// a consumer that follows along (`kcat -C -o beginning`), as spillway-chaos does.
import ArgumentParser
import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import SpillwayTestKit

/// What the operator has injected, for `status`.
struct FaultState: Sendable {
    var down: Set<Int32> = []
    var roundTrip: [Int32: Int32] = [:]
    var pushedErrors = 0
}

/// Applies one command line to the cluster; returns the reply.
func apply(_ line: String, cluster: MockKafkaCluster, state: NIOLockedValueBox<FaultState>) -> String {
    let words = line.split(separator: " ").map(String.init)
    guard let command = words.first?.lowercased() else { return "error: empty command" }
    let broker = { (index: Int) -> Int32? in words.count > index ? Int32(words[index]) : nil }
    switch command {
    case "down":
        cluster.setBrokersDown(broker(1))
        state.withLockedValue { $0.down.formUnion(broker(1).map { [$0] } ?? Set(1...cluster.brokerCount)) }
        return "ok: broker \(broker(1).map(String.init) ?? "all") down"
    case "up":
        cluster.setBrokersUp(broker(1))
        state.withLockedValue { $0.down.subtract(broker(1).map { [$0] } ?? Set(1...cluster.brokerCount)) }
        return "ok: broker \(broker(1).map(String.init) ?? "all") up"
    case "rtt":
        guard words.count >= 2, let milliseconds = Int32(words[1]), milliseconds >= 0 else { return "error: usage: rtt MS [BROKER]" }
        cluster.setRoundTripTime(milliseconds: milliseconds, broker: broker(2))
        state.withLockedValue { state in
            for id in broker(2).map({ [$0] }) ?? Array(1...cluster.brokerCount) { state.roundTrip[id] = milliseconds }
        }
        return "ok: round trip \(milliseconds) ms on broker \(broker(2).map(String.init) ?? "all")"
    case "errors":
        guard words.count == 3, let code = MockKafkaCluster.errorCode(words[1]), let count = Int(words[2]), count > 0 else {
            return "error: usage: errors CODE COUNT (CODE as a name like NOT_ENOUGH_REPLICAS, or a number)"
        }
        cluster.pushProduceErrors(code, count: count)
        state.withLockedValue { $0.pushedErrors += count }
        return "ok: next \(count) Produce requests fail with \(words[1].uppercased())"
    case "clear":
        cluster.clearProduceErrors()
        state.withLockedValue { $0.pushedErrors = 0 }
        return "ok: pushed errors cleared"
    case "status":
        let current = state.withLockedValue { $0 }
        let rtt = current.roundTrip.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)ms" }.joined(separator: ",")
        return "ok: bootstrap \(cluster.bootstrapServers) brokers \(cluster.brokerCount) down [\(current.down.sorted().map(String.init).joined(separator: ","))] rtt [\(rtt)] pushed_errors \(current.pushedErrors)"
    default:
        return "error: unknown command \"\(command)\"; commands: down, up, rtt, errors, clear, status, quit"
    }
}

@main
struct MockKafka: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spillway-mock-kafka",
        abstract: "librdkafka's mock Kafka cluster with fault injection, for rehearsing outages.",
        discussion: "Each partition keeps only its newest 5 MiB: consume while it runs to see everything."
    )

    @Option(help: "Number of brokers.") var brokers: Int32 = 1
    @Option(help: "Create a topic before clients touch it: NAME or NAME:PARTITIONS (others are auto-created with 4).")
    var topic: [String] = []
    @Option(help: "Also take commands over HTTP on this loopback port.") var controlPort: Int?

    func run() async throws {
        let cluster = try MockKafkaCluster(brokers: brokers)
        for spec in topic {
            let parts = spec.split(separator: ":")
            try cluster.createTopic(String(parts[0]), partitions: parts.count > 1 ? Int32(parts[1]) ?? 1 : 1)
        }
        let state = NIOLockedValueBox(FaultState())
        print("bootstrap \(cluster.bootstrapServers)")
        fflush(nil)

        // Standard input: one command per line, on its own thread (reading blocks).
        let input = Thread {
            while let line = readLine() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty { continue }
                if trimmed == "quit" { Foundation.exit(0) }
                print(apply(trimmed, cluster: cluster, state: state))
                fflush(nil)
            }
        }
        input.start()

        guard let controlPort else {
            // No HTTP control: live until stdin says quit or the process is stopped.
            while true { try await Task.sleep(for: .seconds(3600)) }
        }
        let router = Router()
        for command in ["down", "up", "rtt", "errors", "clear"] {
            router.post("/\(command)") { request, _ -> Response in
                let query = request.uri.queryParameters
                var line = command
                switch command {
                case "rtt": line += " \(query["ms"].map(String.init) ?? "")"
                case "errors": line += " \(query["code"].map(String.init) ?? "") \(query["count"].map(String.init) ?? "1")"
                default: break
                }
                if let broker = query["broker"] { line += " \(broker)" }
                let reply = apply(line, cluster: cluster, state: state)
                return Response(status: reply.hasPrefix("ok") ? .ok : .badRequest, body: ResponseBody(byteBuffer: ByteBuffer(string: reply + "\n")))
            }
        }
        router.get("/status") { _, _ in apply("status", cluster: cluster, state: state) + "\n" }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: controlPort)))
        try await app.runService()
    }
}
