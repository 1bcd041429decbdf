import ArgumentParser
import Foundation
import SpillwaySpool

struct SpoolPeekCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peek",
        abstract: "Show one record in full: metadata, headers and value."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case auto, text, hex, base64
    }

    @OptionGroup var location: SpoolPathOption
    @Argument(help: "The record's id, as `spool list` shows it.") var id: Int64
    @Option(help: "How to print the value: auto (text when it is UTF-8, else hex), text, hex or base64.")
    var format: Format = .auto

    func run() throws {
        let spool = try Spool.openForInspection(path: location.spool)
        guard let spooled = try spool.record(id: id) else {
            throw CLIError("no record with id \(id) in \(location.spool)")
        }
        let record = spooled.record
        print("id          \(spooled.id)")
        print("state       \(spooled.deadLetterReason.map { "dead letter: \($0)" } ?? "ready")")
        if let problem = spooled.problem {
            print("UNREADABLE  \(problem.field.rawValue) \(problem.detail); below is what can be read (never sent as it is)")
        }
        print("topic       \(record.topic)")
        print("key         \(record.key.map { BytePreview.short($0, limit: 200) } ?? "(none)")")
        print("partition   \(record.partition.map(String.init) ?? "(any)")")
        print("created     \(Clock.iso8601(record.timestamp))")
        print("attempts    \(record.attempts)")
        print("size        \(record.value.map { "\($0.count) bytes" } ?? "NULL value (a tombstone)") (charged \(spooled.cost))")
        for header in record.headers {
            print("header      \(header.name): \(header.value.map { BytePreview.short($0, limit: 200) } ?? "(NULL)")")
        }
        print("")
        guard let value = record.value else { return }
        switch format {
        case .auto:
            if let text = String(validating: value, as: UTF8.self) {
                print(text)
            } else {
                print(BytePreview.hexDump(value), terminator: "")
            }
        case .text:
            print(String(decoding: value, as: UTF8.self))
        case .hex:
            print(BytePreview.hexDump(value), terminator: "")
        case .base64:
            print(Data(value).base64EncodedString())
        }
    }
}
