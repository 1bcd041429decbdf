/// Arithmetic on figures a spool file holds: a damaged or hand-edited row can
/// hold any integer SQLite can (Int64.min, Int64.max), and a writer that adds
/// such a figure must not trap. Held at the type's bounds instead: the totals a
/// sum feeds are rebuilt from the rows at the next open if they drifted.
extension Int {
    /// `self + other`, held at `Int.min`/`Int.max` instead of overflowing.
    @inline(__always)
    package func addingSaturated(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// `self - other`, held at `Int.min`/`Int.max` instead of overflowing.
    @inline(__always)
    package func subtractingSaturated(_ other: Int) -> Int {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other > 0 ? .min : .max
    }

    /// `self += other`, saturated.
    @inline(__always)
    package mutating func addSaturated(_ other: Int) {
        self = addingSaturated(other)
    }

    /// `self -= other`, saturated.
    @inline(__always)
    package mutating func subtractSaturated(_ other: Int) {
        self = subtractingSaturated(other)
    }
}
