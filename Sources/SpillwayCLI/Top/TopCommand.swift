import ArgumentParser
import Foundation
import SpillwayAdminContract

/// `spillway top`: a live view of a running service.
struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "Watch a running service: breaker, rates as sparklines, memory and spool fill, replay progress.",
        discussion: "On a terminal it redraws in place; otherwise it prints one line per interval. Ctrl-C quits."
    )

    @OptionGroup var client: AdminClientOptions
    @Option(help: "Seconds between readings.") var interval: Double = 1
    @Option(help: "Stop after this many readings (default: run until interrupted).") var count: Int?
    @Option(help: "Follow this cluster's compartment, on a service with several (default: the default cluster, with a line for each).") var cluster: String?

    func run() async throws {
        let terminal = Terminal.isTerminal(STDOUT_FILENO)
        var view = TopView(samples: [], source: client.admin + (cluster.map { " cluster \($0)" } ?? ""))
        var taken = 0
        while count.map({ taken < $0 }) ?? true {
            view.samples.append(TopView.Sample(status: try Self.compartment(cluster, of: try await client.status()), takenAt: Date()))
            if view.samples.count > view.sparklineWidth + 1 { view.samples.removeFirst() }
            taken += 1
            if terminal {
                print("\u{1B}[H\u{1B}[2J" + view.render(color: true), terminator: "")
            } else if view.samples.count > 1 {
                print(view.line())
            }
            fflush(nil)
            if count.map({ taken < $0 }) ?? true {
                try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
            }
        }
    }

    /// The document of the cluster `name` (the whole status when `nil`), or why there is none.
    static func compartment(_ name: String?, of status: AdminStatus) throws -> AdminStatus {
        guard let name else { return status }
        let clusters = status.clusters ?? []
        guard let found = clusters.first(where: { $0.cluster == name }) else {
            throw CLIError(clusters.isEmpty
                ? "the service runs one cluster: leave out --cluster"
                : "no cluster named \"\(name)\" (clusters: \(clusters.compactMap { $0.cluster }.joined(separator: ", ")))")
        }
        return found
    }
}
