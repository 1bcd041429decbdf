import Foundation

/// A rate or other computed number shown as a whole number, without trapping:
/// `Int(_:)` traps on NaN, infinity and anything beyond `Int`, which a rate a
/// service reports, or one computed from corrupt counters, can be.
enum WholeNumber {
    static func format(_ value: Double) -> String {
        if value.isNaN { return "invalid" }
        if value.isInfinite { return value > 0 ? "unlimited" : "-unlimited" }
        guard abs(value) < 1e15 else { return String(format: "%.3g", value) }
        return String(Int(value.rounded(.towardZero)))
    }
}
