import ArgumentParser
import Foundation

/// A point in time on the command line: an age (`90s`, `10m`, `2h`, `3d`, meaning
/// that long ago), an ISO 8601 time, or epoch milliseconds.
struct TimeArgument: ExpressibleByArgument {
    let milliseconds: Int64

    init?(argument: String) {
        let units: [Character: Int64] = ["s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000]
        if let unit = argument.last, let factor = units[unit], let amount = Int64(argument.dropLast()), amount >= 0 {
            // An age too long to count in milliseconds is refused, not wrapped.
            let (span, overflow) = amount.multipliedReportingOverflow(by: factor)
            guard !overflow else { return nil }
            milliseconds = Clock.nowMilliseconds() &- span
        } else if let epoch = Int64(argument) {
            milliseconds = epoch
        } else if let date = try? Date(argument, strategy: .iso8601) {
            milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        } else {
            return nil
        }
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
