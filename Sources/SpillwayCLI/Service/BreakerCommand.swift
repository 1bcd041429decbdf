import ArgumentParser
import Spillway
import SpillwayAdminContract

/// `spillway breaker open|close|auto`.
struct BreakerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "breaker",
        abstract: "Force the circuit breaker open or closed, or hand it back to automatic control.",
        discussion: "open: spool everything, send nothing. close: always send, never trip. auto: the breaker decides. A forced mode holds until changed."
    )

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case open, close, auto

        var breakerMode: BreakerMode {
            switch self {
            case .open: .forcedOpen
            case .close: .forcedClosed
            case .auto: .auto
            }
        }
    }

    @Argument(help: "open, close or auto.") var mode: Mode
    @Option(help: "Only this cluster's breaker, when the service runs several (default: every cluster's).") var cluster: String?
    @OptionGroup var client: AdminClientOptions

    func run() async throws {
        let reply = try await client.setBreaker(BreakerRequest(mode: mode.breakerMode, cluster: cluster))
        print("breaker mode set to \(reply.mode.rawValue)\(ClusterScope.describe(reply.clusters, asked: cluster))")
    }
}
