import Logging
import NIOConcurrencyHelpers

/// Keeps every log entry made through its logger, for tests that check what was logged.
final class LogRecorder: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let entries = NIOLockedValueBox<[Entry]>([])

    var logger: Logger {
        Logger(label: "spillway-test") { _ in Handler(recorder: self) }
    }

    var recorded: [Entry] { entries.withLockedValue { $0 } }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let entry = Entry(level: event.level, message: event.message.description, metadata: metadata.merging(event.metadata ?? [:]) { $1 })
            recorder.entries.withLockedValue { $0.append(entry) }
        }
    }
}
