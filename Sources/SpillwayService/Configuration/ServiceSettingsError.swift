/// A configuration problem, named by its key (or its file), in words an operator can act on.
public struct ServiceSettingsError: Error, Sendable, CustomStringConvertible {
    /// The key, or the file's path for a problem with the file itself.
    public var key: String
    public var message: String
    /// The problem is the configuration file as a whole (missing, not JSON), not one key.
    public var isFile = false

    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }

    public init(file: String, _ message: String) {
        self.init(key: file, message)
        isFile = true
    }

    /// For a check that no single key owns (the pipeline's own validation, librdkafka's verdict).
    static func pipeline(_ message: String) -> ServiceSettingsError {
        ServiceSettingsError(key: "", message)
    }

    public var description: String {
        if isFile { return "configuration file \(key): \(message)" }
        return key.isEmpty ? "configuration: \(message)" : "configuration key \(key): \(message)"
    }
}
