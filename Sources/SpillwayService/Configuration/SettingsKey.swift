import Foundation
import Spillway
import SpillwaySpool

/// One configuration key: its name (dotted, as in the JSON file), its type,
/// its default (for documentation), and how it lands in `ServiceSettings`.
/// Environment variables use the name upper-cased with `_` and a `SPILLWAY_`
/// prefix: `http.port` is `SPILLWAY_HTTP_PORT`.
public struct SettingsKey: Sendable {
    enum Kind: String, Sendable {
        case int = "an integer"
        case double = "a number"
        case bool = "true or false"
        case string = "a string"
        case strings = "a list of strings"
    }

    public enum Value: Sendable {
        case int(Int)
        case double(Double)
        case bool(Bool)
        case string(String)
        case strings([String])
    }

    let name: String
    let kind: Kind
    let help: String
    let isSecret: Bool
    let apply: @Sendable (inout ServiceSettings, Value) throws(ServiceSettingsError) -> Void
    let current: @Sendable (ServiceSettings) -> String

    init(
        _ name: String, _ kind: Kind, _ help: String, secret: Bool = false,
        current: @escaping @Sendable (ServiceSettings) -> String,
        apply: @escaping @Sendable (inout ServiceSettings, Value) throws(ServiceSettingsError) -> Void
    ) {
        self.name = name
        self.kind = kind
        self.help = help
        self.isSecret = secret
        self.apply = apply
        self.current = current
    }
}

extension SettingsKey.Value {
    func int(_ key: String) throws(ServiceSettingsError) -> Int {
        switch self {
        case .int(let value): return value
        case .double(let value) where value.rounded() == value: return Int(value)
        default: throw ServiceSettingsError(key: key, "must be an integer")
        }
    }

    func double(_ key: String) throws(ServiceSettingsError) -> Double {
        switch self {
        case .double(let value): return value
        case .int(let value): return Double(value)
        default: throw ServiceSettingsError(key: key, "must be a number")
        }
    }

    func string(_ key: String) throws(ServiceSettingsError) -> String {
        guard case .string(let value) = self else { throw ServiceSettingsError(key: key, "must be a string") }
        return value
    }

    func bool(_ key: String) throws(ServiceSettingsError) -> Bool {
        guard case .bool(let value) = self else { throw ServiceSettingsError(key: key, "must be true or false") }
        return value
    }

    func strings(_ key: String) throws(ServiceSettingsError) -> [String] {
        switch self {
        case .strings(let value): return value
        case .string(let value): return value.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        default: throw ServiceSettingsError(key: key, "must be a list of strings")
        }
    }

    /// One of `choices`, by its raw value.
    func choice<T: RawRepresentable>(_ key: String, _ type: T.Type) throws(ServiceSettingsError) -> T where T.RawValue == String, T: CaseIterable {
        let text = try string(key)
        guard let value = T(rawValue: text) else {
            throw ServiceSettingsError(key: key, "must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text)\"")
        }
        return value
    }
}

