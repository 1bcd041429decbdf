import ArgumentParser
import Foundation

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

    func run() async throws {
        let terminal = Terminal.isTerminal(STDOUT_FILENO)
        var view = TopView(samples: [], source: client.admin)
        var taken = 0
        while count.map({ taken < $0 }) ?? true {
            view.samples.append(TopView.Sample(status: try await client.status(), takenAt: Date()))
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
}
