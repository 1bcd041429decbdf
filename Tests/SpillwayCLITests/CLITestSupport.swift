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

    static func run(_ arguments: String..., input: Data? = nil) throws -> Result {
        try run(arguments, input: input)
    }

    static func run(_ arguments: [String], input: Data? = nil) throws -> Result {
        let result = try ChildProcess.run(BuiltProducts.path(of: "spillway"), arguments, input: input)
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

/// A spool with a little of everything: text, binary, headers, keys, dead letters, two topics.
enum FixtureSpool {
    static let binaryValue: [UInt8] = [0x00, 0xFF, 0xC3, 0x28, 0x0A, 0x7F]

    static func create(at path: String) throws {
        let spool = try Spool.open(SpoolConfiguration(path: path))
        defer { spool.close() }
        var records: [Record] = []
        for index in 0..<30 {
            records.append(Record(
                topic: index % 3 == 0 ? "clicks" : "views",
                key: index % 2 == 0 ? Array("user-\(index)".utf8) : nil,
                value: Array("{\"n\":\(index),\"path\":\"/a/b\"}".utf8),
                headers: index % 5 == 0 ? [RecordHeader(name: "source", value: Array("web".utf8)), RecordHeader(name: "bin", value: [0xFE, 0x00])] : [],
                partition: index % 7 == 0 ? 2 : nil,
                timestamp: 1_764_000_000_000 + Int64(index) * 1000,
                attempts: index % 4
            ))
        }
        records.append(Record(topic: "views", key: [0x01, 0x02], value: binaryValue, timestamp: 1_764_000_100_000))
        records.append(Record(topic: "views", value: [], timestamp: 1_764_000_100_001))
        try spool.append(records)
        try spool.append(
            [Record(topic: "too-big", value: Array(repeating: 0x61, count: 2000), timestamp: 1_764_000_200_000)],
            as: .deadLetter(reason: "MSG_SIZE_TOO_LARGE: Broker: Message size too large")
        )
    }
}
