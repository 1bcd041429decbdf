import Foundation
import SpillwaySpool
import SpillwayTestKit
import Testing

/// Runs the real `spillway` binary, as an operator would.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs to completion on a thread of its own: waiting for a child must not hold
    /// a thread of Swift's cooperative pool, which has one per core.
    static func run(_ arguments: String..., input: Data? = nil) async throws -> Result {
        try await run(arguments, input: input)
    }

    static func run(_ arguments: [String], input: Data? = nil) async throws -> Result {
        let result = try await ChildProcess.runOffThePool(BuiltProducts.path(of: "spillway"), arguments, input: input)
        return Result(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    /// Asserts the run failed the way a person can act on: non-zero, one line, no trace.
    static func expectOneLineError(_ result: Result, containing text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status != 0, sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == 1, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(text), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        for trace in ["Fatal error", "Stack dump", "backtrace", "Crash"] {
            #expect(!result.stderr.contains(trace), sourceLocation: sourceLocation)
        }
    }
}
