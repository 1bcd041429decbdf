import Spillway

/// A check between two keys, named by both, such as `breaker.minimum_calls`
/// at most `breaker.window_size`. Each key's own range is checked first.
struct SettingsRule: Sendable {
    let check: @Sendable (ServiceSettings) -> ServiceSettingsError?

    /// `lower` must not be above `upper`.
    static func atMost(_ lower: SettingsKey, _ upper: SettingsKey) -> SettingsRule {
        SettingsRule { settings in
            guard let low = lower.magnitude?(settings), let high = upper.magnitude?(settings), low > high else { return nil }
            return ServiceSettingsError(
                key: lower.name,
                "must be at most \(upper.name) (\(upper.value(in: settings))), got \(lower.value(in: settings))"
            )
        }
    }

    /// The library's rules between the fields of the configuration at `base`, each
    /// as `atMost` between the keys that set those fields.
    static func orders<Root>(_ orders: [ConfigurationOrder<Root>], at base: KeyPath<ServiceSettings, Root>) -> [SettingsRule] {
        let base: PartialKeyPath<ServiceSettings> = base
        return orders.map { order in
            guard let lowerField = base.appending(path: order.lower as AnyKeyPath), let lower = SettingsKeys.setting(lowerField),
                  let upperField = base.appending(path: order.upper as AnyKeyPath), let upper = SettingsKeys.setting(upperField)
            else {
                preconditionFailure("a rule of \(Root.self) is about a field no settings key sets")
            }
            return .atMost(lower, upper)
        }
    }
}
