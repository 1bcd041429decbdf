import ArgumentParser
import Foundation

/// `spillway status`: one look at a running service.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a running service's breaker, queues, spool and accounting.")

    @OptionGroup var client: AdminClientOptions
    @Flag(help: "Print the raw JSON.") var json = false

    func run() async throws {
        let (_, data) = try await client.request("GET", "/v1/status")
        if json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        guard let status = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let breaker = status["breaker"] as? [String: Any],
              let ledger = status["ledger"] as? [String: Any],
              let spool = status["spool"] as? [String: Any],
              let replay = status["replay"] as? [String: Any] else {
            throw CLIError("unexpected status document from \(client.admin)")
        }
        func int(_ dictionary: [String: Any], _ key: String) -> Int { (dictionary[key] as? NSNumber)?.intValue ?? 0 }
        let dropped = (ledger["dropped"] as? [String: Any] ?? [:]).map { "\($0.key) \(($0.value as? NSNumber)?.intValue ?? 0)" }.sorted()
        let mode = breaker["mode"] as? String ?? "?"
        let position = mode == "auto" ? "\(breaker["state"] as? String ?? "?") (auto)" : "forced \(mode) (by an operator; `spillway breaker auto` releases it)"
        print("breaker     \(position)")
        if let reason = breaker["last_reason"] as? String { print("            last change: \(reason)") }
        if let failure = breaker["last_probe_failure"] as? String { print("            last probe: failed: \(failure)") }
        if let next = (breaker["next_probe_in_seconds"] as? NSNumber)?.doubleValue { print("            next probe in \(String(format: "%.1f", next)) s") }
        print("accepted    \(int(ledger, "accepted"))  (+ \(int(ledger, "recovered")) recovered from the spool)")
        print("delivered   \(int(ledger, "delivered"))  (\(int(ledger, "replayed")) replayed)")
        print("queued      \(int(ledger, "queued"))   in flight \(int(ledger, "in_flight"))")
        print("spooled     \(int(ledger, "spooled"))  (ready \(int(spool, "ready")), dead letters \(int(spool, "dead_letters")))")
        print("dropped     \(dropped.isEmpty ? "0" : dropped.joined(separator: ", "))")
        if let acks = status["acks"] as? [String: Any] {
            print("acks        \(int(acks, "pending_records")) requests' records waiting; \(int(acks, "accepted_spool")) asked at spool, \(int(acks, "accepted_kafka")) at kafka; \(int(spool, "escrow_records")) escrow copies")
        }
        print("replay      \((replay["paused"] as? Bool) == true ? "paused" : "\(int(replay, "current_rate")) records/s now, ceiling \(int(replay, "records_per_second"))/s")")
        print("balance     \(int(status, "imbalance") == 0 ? "ok (every record accounted for)" : "OFF BY \(int(status, "imbalance"))")")
        if let error = status["last_error"] as? String { print("last error  \(error)") }
    }
}

/// `spillway breaker open|close|auto`.
struct BreakerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "breaker",
        abstract: "Force the circuit breaker open or closed, or hand it back to automatic control.",
        discussion: "open: spool everything, send nothing. close: always send, never trip. auto: the breaker decides. A forced mode holds until changed."
    )

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case open, close, auto
    }

    @Argument(help: "open, close or auto.") var mode: Mode
    @OptionGroup var client: AdminClientOptions

    func run() async throws {
        let wire = mode == .close ? "closed" : mode.rawValue
        _ = try await client.request("PUT", "/v1/breaker", body: ["mode": wire])
        print("breaker mode set to \(wire)")
    }
}

/// `spillway backlog pause|resume|rate N`.
struct BacklogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backlog",
        abstract: "Pause or resume the live replay of the spool, or set its rate.",
        subcommands: [Pause.self, Resume.self, Rate.self]
    )

    struct Pause: AsyncParsableCommand {
        @OptionGroup var client: AdminClientOptions
        func run() async throws {
            _ = try await client.request("PUT", "/v1/backlog", body: ["paused": true])
            print("replay paused")
        }
    }

    struct Resume: AsyncParsableCommand {
        @OptionGroup var client: AdminClientOptions
        func run() async throws {
            _ = try await client.request("PUT", "/v1/backlog", body: ["paused": false])
            print("replay resumed")
        }
    }

    struct Rate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the replay ceiling in records per second.")
        @Argument(help: "Records per second.") var recordsPerSecond: Double
        @Option(help: "Bytes per second.") var bytesPerSecond: Double?
        @OptionGroup var client: AdminClientOptions

        func run() async throws {
            var body: [String: Any] = ["records_per_second": recordsPerSecond]
            if let bytesPerSecond { body["bytes_per_second"] = bytesPerSecond }
            _ = try await client.request("PUT", "/v1/backlog", body: body)
            print("replay ceiling set to \(recordsPerSecond) records/s")
        }
    }
}
