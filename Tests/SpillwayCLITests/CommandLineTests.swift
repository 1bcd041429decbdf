import ArgumentParser
import Foundation
@testable import SpillwayCLI
import Testing

/// Issue 13, item 15: how the command line reads numbers and how its help reads.
@Suite struct CommandLineTests {
    @Test func aNegativeRateIsReadAsANumberAndRefusedAsOne() async throws {
        // Nothing listens on port 1: the refusal must come before any request.
        let result = try await CLI.run("backlog", "rate", "-5", "--admin", "127.0.0.1:1")
        CLI.expectOneLineError(result, containing: "-5")
        #expect(!result.stderr.contains("Unknown option"), "\(result.stderr)")
        #expect(result.stderr.contains("records per second"), "\(result.stderr)")
        #expect(!result.stderr.contains("cannot reach"), "refused locally: \(result.stderr)")
    }

    @Test func aRateThatIsNotANumberIsRefused() async throws {
        CLI.expectOneLineError(try await CLI.run("backlog", "rate", "fast", "--admin", "127.0.0.1:1"), containing: "fast")
    }

    /// Every command in the tree, depth first.
    static func commands(_ root: any ParsableCommand.Type = SpillwayCommand.self) -> [any ParsableCommand.Type] {
        [root] + root.configuration.subcommands.flatMap { commands($0) }
    }

    @Test func helpTextIsNotHardWrapped() async throws {
        // ArgumentParser wraps to the terminal; a newline inside a paragraph breaks that.
        for command in Self.commands() {
            let configuration = command.configuration
            for (what, text) in [("abstract", configuration.abstract), ("discussion", configuration.discussion)] {
                let paragraphs = text.components(separatedBy: "\n\n")
                for paragraph in paragraphs {
                    #expect(!paragraph.trimmingCharacters(in: .newlines).contains("\n"), "\(command) \(what) is hard-wrapped: \(paragraph)")
                }
            }
            let wide = SpillwayCommand.helpMessage(for: command, columns: 500)
            if !configuration.discussion.isEmpty {
                let first = configuration.discussion.components(separatedBy: "\n\n")[0].trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(wide.contains(first), "\(command): a wide terminal shows each paragraph on one line:\n\(wide)")
            }
        }
    }
}
