import Configuration
import Synchronization

/// The keys a provider holds, taken while swift-configuration builds it, so
/// that a key nobody reads (a typo) is refused instead of silently ignored.
///
/// swift-configuration 1.x reads keys one at a time and has no call that lists
/// a provider's keys or reports unread ones. The one hook that sees every key is
/// the provider's secrets specifier: `JSONSnapshot` and `EnvironmentVariablesProvider`
/// evaluate it once per key as they are built. The census rides on that hook,
/// and answers its question too: which values are credentials.
final class KeyCensus: Sendable {
    private let names = Mutex<[String]>([])
    private let isSecret: @Sendable (String) -> Bool

    /// - Parameter isSecret: whether the value under this provider key is a credential.
    init(isSecret: @escaping @Sendable (String) -> Bool) {
        self.isSecret = isSecret
    }

    /// For a file provider, whose keys are dotted: `http.port`.
    var fileSpecifier: SecretsSpecifier<String, any Sendable> {
        .dynamic { [self] key, _ in record(key) }
    }

    /// For the environment provider, whose keys are variable names: `SPILLWAY_HTTP_PORT`.
    var environmentSpecifier: SecretsSpecifier<String, String> {
        .dynamic { [self] key, _ in record(key) }
    }

    /// Every key seen, in no particular order.
    var keys: [String] {
        names.withLock { $0 }
    }

    private func record(_ key: String) -> Bool {
        names.withLock { $0.append(key) }
        return isSecret(key)
    }
}
