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
}
