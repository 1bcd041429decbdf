/// A rule between two settings of one configuration, written once: the first
/// must not be above the second (`breaker.minimumCalls` at most
/// `breaker.windowSize`). The configuration's `validate()` checks it, and the
/// service, whose settings keys point at the same fields, reports it under its
/// own key names: the rule is stated once for the library and the service.
package struct ConfigurationOrder<Root>: Sendable {
    /// The field that must not be above `upper`.
    package let lower: PartialKeyPath<Root> & Sendable
    package let upper: PartialKeyPath<Root> & Sendable
    /// What `validate()` says when the rule is broken, in the library's field names.
    private let message: @Sendable (Root) -> String
    private let holds: @Sendable (Root) -> Bool

    init<Value: Comparable & Sendable>(
        _ lower: KeyPath<Root, Value> & Sendable,
        atMost upper: KeyPath<Root, Value> & Sendable,
        _ message: @escaping @Sendable (Root) -> String
    ) {
        self.lower = lower
        self.upper = upper
        self.message = message
        holds = { $0[keyPath: lower] <= $0[keyPath: upper] }
    }

    /// Throws `message` when `configuration` breaks the rule.
    func check(_ configuration: Root) throws(SpillwayConfigurationError) {
        if !holds(configuration) { throw SpillwayConfigurationError(message(configuration)) }
    }
}
