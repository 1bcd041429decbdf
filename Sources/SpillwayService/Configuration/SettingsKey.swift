import Foundation
import Spillway

/// One configuration key, written once. Its dotted name (as in the JSON file) is
/// the only spelling in the source: the environment variable, the unknown-key
/// check, the README's row and every error about the key are derived from it.
/// Numeric keys carry their documented range, checked when settings are loaded.
public struct SettingsKey: Sendable, Hashable, Identifiable {
    /// What a value must be; numbers with their range.
    public enum Kind: Sendable, Hashable {
        case integer(ClosedRange<Int>)
        /// An integer count of milliseconds, held as a `Duration`.
        case milliseconds(ClosedRange<Int>)
        case number(ClosedRange<Double>)
        case boolean
        case text
        case choice([String])
        case list

        /// "must be …" in an error.
        var expectation: String {
            switch self {
            case .integer, .milliseconds: "an integer"
            case .number: "a number"
            case .boolean: "true or false"
            case .text: "a string"
            case .choice(let options): "one of \(options.joined(separator: ", "))"
            case .list: "a list of strings"
            }
        }

        /// The type column of `config keys` and README.
        public var typeName: String {
            switch self {
            case .integer: "integer"
            case .milliseconds: "milliseconds"
            case .number: "number"
            case .boolean: "boolean"
            case .text: "string"
            case .choice(let options): options.dropLast().joined(separator: ", ") + " or " + options.last!
            case .list: "list of strings"
            }
        }

        /// The documented range, for numeric keys: `1 – 65535`.
        public var range: String? {
            bounds.map { "\($0.lower) – \($0.upper)" }
        }

        /// The range's ends, as written in the documentation and in errors.
        var bounds: (lower: String, upper: String)? {
            switch self {
            case .integer(let range), .milliseconds(let range): ("\(range.lowerBound)", "\(range.upperBound)")
            case .number(let range): (Self.plain(range.lowerBound), Self.plain(range.upperBound))
            default: nil
            }
        }

        /// "must be between 1 and 65535, got 70000".
        func outside(_ got: String) -> String {
            guard let bounds else { return "must be \(expectation), got \(got)" }
            return "must be between \(bounds.lower) and \(bounds.upper), got \(got)"
        }

        /// `5000`, not `5000.0`; `0.01` as is.
        static func plain(_ value: Double) -> String {
            value.rounded() == value && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
        }
    }

    /// A value given on the command line (`spillway serve --port`), typed like the key.
    public enum Value: Sendable {
        case int(Int)
        case double(Double)
        case bool(Bool)
        case string(String)
        case strings([String])
    }

    /// The dotted name, as in the JSON file: `http.max_body_bytes`.
    public let name: String
    public let kind: Kind
    /// One line for `config keys` and README.
    public let help: String
    /// The value is a credential: never shown, never put in a message.
    public let isSecret: Bool
    let assign: @Sendable (inout ServiceSettings, Value) throws(ServiceSettingsError) -> Void
    let render: @Sendable (ServiceSettings) -> String
    /// What is wrong with the key's value in some settings (out of range, empty, …), or nil.
    let problem: @Sendable (ServiceSettings) -> String?
    /// The value as a number, for checks between keys.
    let magnitude: (@Sendable (ServiceSettings) -> Double)?
    /// The field of `ServiceSettings` a numeric key sets: how the library's rules
    /// between fields (`ConfigurationOrder`) find the keys to name.
    var field: (AnyKeyPath & Sendable)? = nil

    public var id: String { name }

    public static func == (lhs: SettingsKey, rhs: SettingsKey) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// `["http", "max_body_bytes"]`: the key as swift-configuration's providers see it.
    var components: [String] { name.split(separator: ".").map(String.init) }

    /// `SPILLWAY_HTTP_MAX_BODY_BYTES`, as swift-configuration's environment provider names it.
    public var environmentVariable: String { SettingsLoader.environmentVariable(for: components) }

    /// The key's value in `settings`, as `config check` prints it; a secret shows only whether it is set.
    public func value(in settings: ServiceSettings) -> String {
        render(settings)
    }

    /// The embedded default.
    public var defaultValue: String { value(in: ServiceSettings()) }

    /// The problem with this key's value in `settings`, named by the key.
    func check(_ settings: ServiceSettings) -> ServiceSettingsError? {
        problem(settings).map { ServiceSettingsError(key: name, $0) }
    }
}

// MARK: Building keys

extension SettingsKey {
    typealias Path<Value> = WritableKeyPath<ServiceSettings, Value> & Sendable

    private static func mismatch(_ name: String, _ kind: Kind) -> ServiceSettingsError {
        ServiceSettingsError(key: name, "must be \(kind.expectation)")
    }

    static func integer(_ name: String, _ path: Path<Int>, _ range: ClosedRange<Int>, _ help: String) -> SettingsKey {
        let kind = Kind.integer(range)
        return SettingsKey(
            name: name, kind: kind, help: help, isSecret: false,
            assign: { settings, value throws(ServiceSettingsError) in
                guard case .int(let number) = value else { throw mismatch(name, kind) }
                settings[keyPath: path] = number
            },
            render: { "\($0[keyPath: path])" },
            problem: { range.contains($0[keyPath: path]) ? nil : kind.outside("\($0[keyPath: path])") },
            magnitude: { Double($0[keyPath: path]) },
            field: path
        )
    }

    /// An integer that may be left unset (a listener that is off unless given a port).
    static func optionalInteger(_ name: String, _ path: Path<Int?>, _ range: ClosedRange<Int>, unset: String, _ help: String) -> SettingsKey {
        let kind = Kind.integer(range)
        return SettingsKey(
            name: name, kind: kind, help: help, isSecret: false,
            assign: { settings, value throws(ServiceSettingsError) in
                guard case .int(let number) = value else { throw mismatch(name, kind) }
                settings[keyPath: path] = number
            },
            render: { $0[keyPath: path].map { "\($0)" } ?? unset },
            problem: { settings in settings[keyPath: path].flatMap { range.contains($0) ? nil : kind.outside("\($0)") } },
            magnitude: nil
        )
    }

    static func milliseconds(_ name: String, _ path: Path<Duration>, _ range: ClosedRange<Int>, _ help: String) -> SettingsKey {
        let kind = Kind.milliseconds(range)
        return SettingsKey(
            name: name, kind: kind, help: help, isSecret: false,
            assign: { settings, value throws(ServiceSettingsError) in
                guard case .int(let number) = value else { throw mismatch(name, kind) }
                settings[keyPath: path] = .milliseconds(number)
            },
            render: { "\($0[keyPath: path].milliseconds)" },
            problem: { settings in
                // Compared as durations: a huge value is out of range, not an overflow.
                let duration = settings[keyPath: path]
                guard duration < .milliseconds(range.lowerBound) || duration > .milliseconds(range.upperBound) else { return nil }
                return kind.outside("\(duration.milliseconds)")
            },
            magnitude: { Double($0[keyPath: path].milliseconds) },
            field: path
        )
    }

    static func number(_ name: String, _ path: Path<Double>, _ range: ClosedRange<Double>, _ help: String) -> SettingsKey {
        let kind = Kind.number(range)
        return SettingsKey(
            name: name, kind: kind, help: help, isSecret: false,
            assign: { settings, value throws(ServiceSettingsError) in
                switch value {
                case .double(let number): settings[keyPath: path] = number
                case .int(let number): settings[keyPath: path] = Double(number)
                default: throw mismatch(name, kind)
                }
            },
            render: { "\(Kind.plain($0[keyPath: path]))" },
            problem: { range.contains($0[keyPath: path]) ? nil : kind.outside("\($0[keyPath: path])") },
            magnitude: { $0[keyPath: path] },
            field: path
        )
    }

    static func boolean(_ name: String, _ path: Path<Bool>, _ help: String) -> SettingsKey {
        SettingsKey(
            name: name, kind: .boolean, help: help, isSecret: false,
            assign: { settings, value throws(ServiceSettingsError) in
                guard case .bool(let flag) = value else { throw mismatch(name, .boolean) }
                settings[keyPath: path] = flag
            },
            render: { "\($0[keyPath: path])" },
            problem: { _ in nil },
            magnitude: nil
        )
    }

    /// A string that must not be empty.
    static func text(_ name: String, _ path: Path<String>, _ help: String) -> SettingsKey {
        SettingsKey(
            name: name, kind: .text, help: help, isSecret: false,
            assign: { settings, value throws(ServiceSettingsError) in
                guard case .string(let text) = value else { throw mismatch(name, .text) }
                settings[keyPath: path] = text
            },
            render: { $0[keyPath: path] },
            problem: { $0[keyPath: path].trimmingCharacters(in: .whitespaces).isEmpty ? "must not be empty" : nil },
            magnitude: nil
        )
    }

    /// Text that is off unless set; `problem` checks a value that is set.
    static func optionalText(_ name: String, _ path: Path<String?>, unset: String, _ help: String, problem: @escaping @Sendable (String) -> String?) -> SettingsKey {
        SettingsKey(
            name: name, kind: .text, help: help, isSecret: false,
            assign: { settings, value throws(ServiceSettingsError) in
                guard case .string(let text) = value else { throw mismatch(name, .text) }
                settings[keyPath: path] = text
            },
            render: { $0[keyPath: path] ?? unset },
            problem: { $0[keyPath: path].flatMap(problem) },
            magnitude: nil
        )
    }

    /// `topic=level` entries (comma-separated in the environment), each topic
    /// valid and given once, held as a table.
    static func levelsByTopic(_ name: String, _ path: Path<[String: AckLevel]>, _ help: String) -> SettingsKey {
        let levels = AckLevel.allCases.map(\.rawValue).joined(separator: ", ")
        return SettingsKey(
            name: name, kind: .list, help: help, isSecret: false,
            assign: { settings, value throws(ServiceSettingsError) in
                let entries: [String]
                switch value {
                case .strings(let list): entries = list.map { $0.trimmingCharacters(in: .whitespaces) }
                case .string(let text): entries = SettingsKey.Value.entries(of: text)
                default: throw mismatch(name, .list)
                }
                var table: [String: AckLevel] = [:]
                for entry in entries {
                    let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard parts.count == 2, let level = AckLevel(rawValue: parts[1]) else {
                        throw ServiceSettingsError(key: name, "\"\(entry)\" must be topic=level, with a level of \(levels)")
                    }
                    guard table.updateValue(level, forKey: parts[0]) == nil else {
                        throw ServiceSettingsError(key: name, "topic \"\(parts[0])\" is given twice")
                    }
                }
                settings[keyPath: path] = table
            },
            render: { settings in
                let table = settings[keyPath: path]
                return table.isEmpty ? "(none)" : table.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" }.joined(separator: ",")
            },
            problem: { settings in
                for topic in settings[keyPath: path].keys.sorted() {
                    if let problem = TopicName.problem(with: topic) { return "\"\(topic)\" is not a valid topic name: \(problem)" }
                }
                return nil
            },
            magnitude: nil
        )
    }

    /// A credential: unset by default, never shown.
    static func secret(_ name: String, _ path: Path<String?>, minimumLength: Int, _ help: String) -> SettingsKey {
        SettingsKey(
            name: name, kind: .text, help: help, isSecret: true,
            assign: { settings, value throws(ServiceSettingsError) in
                guard case .string(let text) = value else { throw mismatch(name, .text) }
                settings[keyPath: path] = text
            },
            render: { $0[keyPath: path] == nil ? "(none)" : "(set)" },
            problem: { settings in
                guard let secret = settings[keyPath: path], secret.count < minimumLength else { return nil }
                return "must be at least \(minimumLength) characters"
            },
            magnitude: nil
        )
    }

    /// One of a fixed set of words, held as one.
    static func choice(_ name: String, _ path: Path<String>, _ options: [String], _ help: String) -> SettingsKey {
        let kind = Kind.choice(options)
        return SettingsKey(
            name: name, kind: kind, help: help, isSecret: false,
            assign: { settings, value throws(ServiceSettingsError) in
                guard case .string(let text) = value else { throw mismatch(name, kind) }
                settings[keyPath: path] = text
            },
            render: { $0[keyPath: path] },
            problem: { options.contains($0[keyPath: path]) ? nil : "must be \(kind.expectation), got \"\($0[keyPath: path])\"" },
            magnitude: nil
        )
    }

    /// One of an enumeration's raw values.
    static func choice<T: RawRepresentable & CaseIterable & Sendable>(_ name: String, _ path: Path<T>, _ help: String) -> SettingsKey where T.RawValue == String {
        let kind = Kind.choice(T.allCases.map(\.rawValue))
        return SettingsKey(
            name: name, kind: kind, help: help, isSecret: false,
            assign: { settings, value throws(ServiceSettingsError) in
                guard case .string(let text) = value else { throw mismatch(name, kind) }
                guard let choice = T(rawValue: text) else { throw ServiceSettingsError(key: name, "must be \(kind.expectation), got \"\(text)\"") }
                settings[keyPath: path] = choice
            },
            render: { $0[keyPath: path].rawValue },
            problem: { _ in nil },
            magnitude: nil
        )
    }

    /// A list with at least one entry and no empty one; `entryProblem` checks each.
    static func list(
        _ name: String, _ path: Path<[String]>, _ help: String,
        whenEmpty: String, entryProblem: @escaping @Sendable (String) -> String? = { _ in nil }
    ) -> SettingsKey {
        listKey(name, help, whenEmpty: whenEmpty, entryProblem: entryProblem, get: { $0[keyPath: path] }, set: { $0[keyPath: path] = $1 })
    }

    /// Like `list`, and unset by default (`unset` says what that means).
    static func optionalList(
        _ name: String, _ path: Path<[String]?>, _ help: String,
        unset: String, whenEmpty: String, entryProblem: @escaping @Sendable (String) -> String? = { _ in nil }
    ) -> SettingsKey {
        listKey(name, help, unset: unset, whenEmpty: whenEmpty, entryProblem: entryProblem, get: { $0[keyPath: path] }, set: { $0[keyPath: path] = $1 })
    }

    private static func listKey(
        _ name: String, _ help: String, unset: String = "", whenEmpty: String,
        entryProblem: @escaping @Sendable (String) -> String?,
        get: @escaping @Sendable (ServiceSettings) -> [String]?, set: @escaping @Sendable (inout ServiceSettings, [String]) -> Void
    ) -> SettingsKey {
        SettingsKey(
            name: name, kind: .list, help: help, isSecret: false,
            assign: { settings, value throws(ServiceSettingsError) in
                switch value {
                case .strings(let list): set(&settings, list.map { $0.trimmingCharacters(in: .whitespaces) })
                case .string(let text): set(&settings, SettingsKey.Value.entries(of: text))
                default: throw mismatch(name, .list)
                }
            },
            render: { get($0)?.joined(separator: ",") ?? unset },
            problem: { settings in
                guard let list = get(settings) else { return nil }
                if list.allSatisfy(\.isEmpty) { return whenEmpty }
                if list.contains(where: \.isEmpty) { return "has an empty entry in \"\(list.joined(separator: ","))\"" }
                for entry in list {
                    if let problem = entryProblem(entry) { return "\"\(entry)\" \(problem)" }
                }
                return nil
            },
            magnitude: nil
        )
    }
}

extension SettingsKey.Value {
    /// `a, b` → `["a", "b"]`; empty entries are kept, so `,,,` is refused, not read as nothing.
    static func entries(of text: String) -> [String] {
        text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
