import Configuration
import Foundation
import SystemPackage

/// Reads `ServiceSettings` with swift-configuration: command-line options win
/// over `SPILLWAY_*` environment variables, which win over the JSON file, which
/// wins over the embedded defaults. Unknown keys and bad values stop start-up
/// with an error naming the key.
public enum SettingsLoader {
    /// The environment variable naming a configuration file, when `--config` is not given.
    public static let fileVariable = "SPILLWAY_CONFIG"

    /// - Parameters:
    ///   - file: a JSON configuration file, or `nil`.
    ///   - overrides: values from command-line options, by key name (`http.port`).
    public static func load(
        file: String?,
        overrides: [String: SettingsKey.Value] = [:],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws(ServiceSettingsError) -> ServiceSettings {
        var settings = ServiceSettings()
        let path = file ?? environment[fileVariable]
        var fileKeys: [String: Any] = [:]
        if let path {
            fileKeys = try flattenedFile(path)
            for key in fileKeys.keys where SettingsKeys.named(key) == nil && !key.hasPrefix("kafka.properties.") {
                throw ServiceSettingsError(key: key, "unknown key in \(path)\(suggestion(for: key))")
            }
        }
        let environmentKeys = try environmentSettings(environment)

        var providers: [any ConfigProvider] = []
        var memory: [AbsoluteConfigKey: ConfigValue] = [:]
        for (name, value) in overrides {
            memory[AbsoluteConfigKey(name.split(separator: ".").map(String.init))] = ConfigValue(value.content, isSecret: SettingsKeys.named(name)?.isSecret ?? false)
        }
        providers.append(InMemoryProvider(name: "command line", values: memory))
        providers.append(EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: ["spillway"]))
        if let path {
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(path)))
            } catch {
                throw ServiceSettingsError(file: path, "cannot read the configuration file: \(error)")
            }
        }
        let reader = ConfigReader(providers: providers)

        for key in SettingsKeys.all {
            let present = overrides[key.name] != nil || environmentKeys.contains(key.name) || fileKeys[key.name] != nil
            guard present else { continue }
            let configKey = ConfigKey(key.name.split(separator: ".").map(String.init))
            let value: SettingsKey.Value?
            switch key.kind {
            case .int: value = reader.int(forKey: configKey).map { .int($0) }
            case .double: value = reader.double(forKey: configKey).map { .double($0) } ?? reader.int(forKey: configKey).map { .double(Double($0)) }
            case .bool: value = reader.bool(forKey: configKey).map { .bool($0) }
            case .string: value = reader.string(forKey: configKey).map { .string($0) }
            case .strings: value = reader.stringArray(forKey: configKey).map { .strings($0) } ?? reader.string(forKey: configKey).map { .string($0) }
            }
            guard let value else {
                throw ServiceSettingsError(key: key.name, "must be \(key.kind.rawValue)")
            }
            try key.apply(&settings, value)
        }
        for (key, value) in fileKeys where key.hasPrefix("kafka.properties.") {
            let property = String(key.dropFirst("kafka.properties.".count))
            switch value {
            case let text as String: settings.pipeline.kafka.properties[property] = text
            case let number as NSNumber: settings.pipeline.kafka.properties[property] = number.stringValue
            default: throw ServiceSettingsError(key: key, "must be a string or a number (it is passed to librdkafka as is)")
            }
        }
        try settings.validate()
        return settings
    }

    /// The JSON file's keys, dotted (`http.port`), with their values.
    static func flattenedFile(_ path: String) throws(ServiceSettingsError) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ServiceSettingsError(file: path, FileManager.default.fileExists(atPath: path) ? "cannot read the configuration file" : "no such configuration file")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw ServiceSettingsError(file: path, "not valid JSON: \(detail)")
        }
        guard let root = object as? [String: Any] else { throw ServiceSettingsError(file: path, "must hold a JSON object") }
        var flat: [String: Any] = [:]
        func walk(_ object: [String: Any], prefix: String) {
            for (key, value) in object {
                let name = prefix.isEmpty ? key : "\(prefix).\(key)"
                if let nested = value as? [String: Any] {
                    walk(nested, prefix: name)
                } else {
                    flat[name] = value
                }
            }
        }
        walk(root, prefix: "")
        return flat
    }

    /// Names of keys set through `SPILLWAY_*` variables; unknown ones are errors.
    static func environmentSettings(_ environment: [String: String]) throws(ServiceSettingsError) -> Set<String> {
        var byVariable: [String: String] = [:]
        for key in SettingsKeys.all { byVariable[variableName(key.name)] = key.name }
        var present = Set<String>()
        for variable in environment.keys where variable.hasPrefix("SPILLWAY_") && variable != fileVariable {
            guard let key = byVariable[variable] else {
                throw ServiceSettingsError(key: variable, "unknown environment variable (keys are listed by `spillway config keys`)")
            }
            present.insert(key)
        }
        return present
    }

    /// `http.max_body_bytes` → `SPILLWAY_HTTP_MAX_BODY_BYTES`.
    public static func variableName(_ key: String) -> String {
        "SPILLWAY_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// "; did you mean http.port?" for a key a typo away from a real one.
    private static func suggestion(for key: String) -> String {
        let closest = SettingsKeys.all.map { ($0.name, editDistance($0.name, key)) }.min { $0.1 < $1.1 }
        guard let closest, closest.1 <= 3 else { return "" }
        return "; did you mean \(closest.0)?"
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
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
