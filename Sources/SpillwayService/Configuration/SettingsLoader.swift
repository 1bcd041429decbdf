import Configuration
import Foundation
import Spillway
import SystemPackage

/// Reads `ServiceSettings` with swift-configuration: command-line options win
/// over `SPILLWAY_*` environment variables, which win over the JSON file, which
/// wins over the embedded defaults. Every value is read through one
/// `ConfigReader`; unknown keys, values of the wrong type and values out of
/// range stop start-up with an error naming the key.
public enum SettingsLoader {
    /// The environment variable naming a configuration file, when `--config` is not given.
    public static let fileVariable = environmentVariable(for: ["config"])

    /// Every environment variable of ours starts with this.
    private static let scope = "spillway"

    /// - Parameters:
    ///   - file: a JSON configuration file, or `nil`.
    ///   - overrides: values from command-line options.
    public static func load(
        file: String?,
        overrides: [SettingsKey: SettingsKey.Value] = [:],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws(ServiceSettingsError) -> ServiceSettings {
        let path = file ?? environment[fileVariable]
        let fileCensus = KeyCensus { key in
            key == SettingsKeys.adminToken.name || property(ofFileKey: clusterKey(ofFileKey: key) ?? key).map(KafkaConfiguration.isSecretProperty) == true
        }
        let environmentCensus = KeyCensus { $0 == SettingsKeys.adminToken.environmentVariable }

        var providers: [any ConfigProvider] = []
        var memory: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in overrides {
            memory[AbsoluteConfigKey(key.components)] = ConfigValue(value.content, isSecret: key.isSecret)
        }
        providers.append(InMemoryProvider(name: "command line", values: memory))
        providers.append(
            EnvironmentVariablesProvider(environmentVariables: environment, secretsSpecifier: environmentCensus.environmentSpecifier)
                .prefixKeys(with: ConfigKey([scope]))
        )
        if let path {
            guard FileManager.default.fileExists(atPath: path) else { throw ServiceSettingsError(file: path, "no such configuration file") }
            do {
                providers.append(try await FileProvider<SettingsFileSnapshot>(
                    parsingOptions: .init(path: path, census: fileCensus), filePath: FilePath(path)
                ))
            } catch let error as ServiceSettingsError {
                throw error
            } catch {
                throw ServiceSettingsError(file: path, "cannot read the configuration file: \(error)")
            }
        }
        let reader = ConfigReader(providers: providers)

        let fileKeys = Set(fileCensus.keys)
        let environmentKeys = Set(environmentCensus.keys)
        try refuseUnknown(fileKeys: fileKeys, path: path, environmentKeys: environmentKeys)

        var settings = ServiceSettings()
        for key in SettingsKeys.all where overrides[key] != nil || environmentKeys.contains(key.environmentVariable) || fileKeys.contains(key.name) {
            try key.assign(&settings, try read(key, from: reader))
        }
        for fileKey in fileKeys.sorted() {
            guard let property = property(ofFileKey: fileKey) else { continue }
            settings.pipeline.kafka.properties[property] = try read(property: property, from: reader)
        }
        settings.clusters = try readClusters(fileKeys: fileKeys, path: path, from: reader)
        try settings.validate()
        return settings
    }

    /// `["http", "port"]` → `SPILLWAY_HTTP_PORT`: swift-configuration's environment provider names the variable.
    static func environmentVariable(for components: [String]) -> String {
        let namer = EnvironmentVariablesProvider(environmentVariables: [:]).prefixKeys(with: ConfigKey([scope]))
        return (try? namer.value(forKey: AbsoluteConfigKey(components), type: .string).encodedKey) ?? components.joined(separator: "_")
    }

    /// `kafka.properties.sasl.password` → `sasl.password`; nil for any other key.
    private static func property(ofFileKey key: String) -> String? {
        let prefix = SettingsKeys.property("")
        return key.hasPrefix(prefix) && key.count > prefix.count ? String(key.dropFirst(prefix.count)) : nil
    }

    /// `clusters.audit.kafka.properties.sasl.password` → `kafka.properties.sasl.password`; nil for a key outside `clusters`.
    private static func clusterKey(ofFileKey key: String) -> String? {
        let prefix = SettingsKeys.clusters + "."
        guard key.hasPrefix(prefix) else { return nil }
        let parts = key.dropFirst(prefix.count).split(separator: ".", maxSplits: 1)
        return parts.count == 2 ? String(parts[1]) : nil
    }

    /// Refuses a key in the file, or a `SPILLWAY_` variable, that no setting reads.
    private static func refuseUnknown(fileKeys: Set<String>, path: String?, environmentKeys: Set<String>) throws(ServiceSettingsError) {
        for key in fileKeys.sorted() where SettingsKeys.named(key) == nil && property(ofFileKey: key) == nil && !key.hasPrefix(SettingsKeys.clusters + ".") {
            throw ServiceSettingsError(key: key, "unknown key in \(path ?? "the file")\(suggestion(for: key, among: SettingsKeys.all.map(\.name)))")
        }
        let prefix = environmentVariable(for: []) + "_"
        let known = Set(SettingsKeys.all.map(\.environmentVariable) + [fileVariable])
        for variable in environmentKeys.sorted() where variable.hasPrefix(prefix) && !known.contains(variable) {
            throw ServiceSettingsError(
                key: variable,
                "unknown environment variable\(suggestion(for: variable, among: known.sorted())) (keys are listed by `spillway config keys`; "
                    + "\(SettingsKeys.property("NAME")) and \(SettingsKeys.clusters).NAME.* are read from the file only)"
            )
        }
    }

    /// `clusters.NAME.…` keys, in the order of their names: each cluster's topics,
    /// spool share, pipeline keys and librdkafka properties. Unknown keys are refused.
    private static func readClusters(fileKeys: Set<String>, path: String?, from reader: ConfigReader) throws(ServiceSettingsError) -> [ClusterSettings] {
        var clusters: [String: ClusterSettings] = [:]
        let prefix = SettingsKeys.clusters + "."
        for fileKey in fileKeys.sorted() where fileKey.hasPrefix(prefix) {
            let parts = fileKey.dropFirst(prefix.count).split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                throw ServiceSettingsError(key: fileKey, "must be an object of the cluster's keys, such as {\"kafka\": {\"bootstrap_servers\": [...]}, \"topics\": [...]}")
            }
            let (name, rest) = (parts[0], parts[1])
            var cluster = clusters[name] ?? ClusterSettings(name: name)
            let components = [SettingsKeys.clusters, name] + rest.split(separator: ".").map(String.init)
            if rest == SettingsKeys.clusterTopics {
                guard let topics = try? reader.requiredStringArray(forKey: ConfigKey(components)) else {
                    throw ServiceSettingsError(key: fileKey, "must be a list of topic names or globs")
                }
                cluster.topics = topics
            } else if rest == SettingsKeys.clusterSpoolShare {
                guard let share = try? reader.requiredDouble(forKey: ConfigKey(components)) else {
                    throw ServiceSettingsError(key: fileKey, "must be a number above 0 and below 1")
                }
                cluster.spoolShare = share
            } else if let property = property(ofFileKey: rest) {
                cluster.properties[property] = try read(property: property, at: components, name: fileKey, from: reader)
            } else if let key = ClusterSettings.keys.first(where: { $0.name == rest }) {
                cluster.keys.append((key, try read(key, at: components, name: fileKey, from: reader)))
            } else {
                let known = ClusterSettings.keys.map(\.name) + [SettingsKeys.clusterTopics, SettingsKeys.clusterSpoolShare]
                let why = SettingsKeys.named(rest) != nil ? "is the service's, not a cluster's; set it at the top level" : "unknown key in \(path ?? "the file")"
                throw ServiceSettingsError(key: fileKey, why + suggestion(for: rest, among: known))
            }
            clusters[name] = cluster
        }
        return clusters.keys.sorted().compactMap { clusters[$0] }
    }

    /// One key's value, through the reader, typed as the key wants it.
    private static func read(_ key: SettingsKey, from reader: ConfigReader) throws(ServiceSettingsError) -> SettingsKey.Value {
        try read(key, at: key.components, name: key.name, from: reader)
    }

    /// A key's value under `components` (a cluster's copy of the key, say), named `name` in errors.
    private static func read(_ key: SettingsKey, at components: [String], name: String, from reader: ConfigReader) throws(ServiceSettingsError) -> SettingsKey.Value {
        let configKey = ConfigKey(components)
        do {
            switch key.kind {
            case .integer, .milliseconds:
                return .int(try reader.requiredInt(forKey: configKey, isSecret: key.isSecret))
            case .number:
                return .double(try reader.requiredDouble(forKey: configKey, isSecret: key.isSecret))
            case .boolean:
                return .bool(try reader.requiredBool(forKey: configKey, isSecret: key.isSecret))
            case .text, .choice:
                return .string(try reader.requiredString(forKey: configKey, isSecret: key.isSecret))
            case .list:
                // A JSON array, or one comma-separated string (as environment variables and options give it).
                if let list = try? reader.requiredStringArray(forKey: configKey, isSecret: key.isSecret) { return .strings(list) }
                return .string(try reader.requiredString(forKey: configKey, isSecret: key.isSecret))
            }
        } catch {
            throw ServiceSettingsError(key: name, "must be \(key.kind.expectation)")
        }
    }

    /// A raw librdkafka property: librdkafka takes text, so a number or a flag is passed as its text.
    private static func read(property: String, from reader: ConfigReader) throws(ServiceSettingsError) -> String {
        try read(property: property, at: SettingsKeys.properties + [property], name: SettingsKeys.property(property), from: reader)
    }

    private static func read(property: String, at components: [String], name: String, from reader: ConfigReader) throws(ServiceSettingsError) -> String {
        let key = ConfigKey(components)
        let secret = KafkaConfiguration.isSecretProperty(property)
        if let text = try? reader.requiredString(forKey: key, isSecret: secret) { return text }
        if let number = try? reader.requiredInt(forKey: key, isSecret: secret) { return "\(number)" }
        if let number = try? reader.requiredDouble(forKey: key, isSecret: secret) { return "\(number)" }
        if let flag = try? reader.requiredBool(forKey: key, isSecret: secret) { return "\(flag)" }
        throw ServiceSettingsError(key: name, "must be a string or a number (it is passed to librdkafka as is)")
    }

    /// "; did you mean http.port?" for a name a typo away from a real one.
    private static func suggestion(for name: String, among names: [String]) -> String {
        let closest = names.map { ($0, editDistance($0, name)) }.min { $0.1 < $1.1 }
        guard let closest, closest.1 <= 3 else { return "" }
        return "; did you mean \(closest.0)?"
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension SettingsKey.Value {
    var content: ConfigContent {
        switch self {
        case .int(let value): .int(value)
        case .double(let value): .double(value)
        case .bool(let value): .bool(value)
        case .string(let value): .string(value)
        case .strings(let value): .stringArray(value)
        }
    }
}
