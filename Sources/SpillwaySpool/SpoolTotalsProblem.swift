/// One `spool_totals` figure that disagrees with the rows it stands for, and
/// what the rows say it should be: `spool check` lists these, and opening for
/// writing rebuilds them and logs them.
package struct SpoolTotalsProblem: Sendable, Hashable, CustomStringConvertible {
    /// The column of `spool_totals`, such as `ready_count` or `next_id`.
    package let column: String
    /// The value as the file holds it, written as SQL would (`-7`, `'yesterday'`, `1.0e+300`).
    package let stored: String
    /// The value rebuilt from the rows.
    package let rebuilt: Int64
    /// Why the stored value is wrong, by what the rows hold.
    package let reason: String

    package init(column: String, stored: String, rebuilt: Int64, reason: String) {
        self.column = column
        self.stored = stored
        self.rebuilt = rebuilt
        self.reason = reason
    }

    package var description: String {
        "\(column) is \(stored), should be \(rebuilt): \(reason)"
    }
}
