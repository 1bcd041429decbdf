import Foundation

/// Wall-clock helpers for the CLI's times and ages. Every function is total:
/// times come from spool rows, which may hold any 64-bit integer (a damaged or
/// hand-edited file), and showing them must never trap.
enum Clock {
    /// The times shown as dates: years 0001 through 9999, what ISO 8601's
    /// four-digit years can write. Anything outside is shown as invalid.
    static let showable: ClosedRange<Int64> = -62_135_596_800_000 ... 253_402_300_799_999

    /// The longest duration written out; anything longer reads "over 10000d".
    static let longestShown: Int64 = 10_000 * 86_400_000

    static func nowMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }

    /// `2026-11-27T11:49:34.123Z`, or `invalid (N ms since 1970)` outside `showable`.
    static func iso8601(_ milliseconds: Int64) -> String {
        guard showable.contains(milliseconds) else { return "invalid (\(milliseconds) ms since 1970)" }
        return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            .formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// How long ago `milliseconds` was, as a short age (`42s`, `5m12s`, `3h4m`,
    /// `2d5h`); `in 5m12s` for a time after `now`; `invalid` outside `showable`.
    static func age(from milliseconds: Int64, to now: Int64) -> String {
        guard showable.contains(milliseconds), showable.contains(now) else { return "invalid" }
        // Both within `showable`: the difference is far from overflowing.
        let elapsed = now - milliseconds
        return elapsed >= 0 ? duration(milliseconds: elapsed) : "in " + duration(milliseconds: -elapsed)
    }

    /// `2026-11-27T11:49:34.123Z (5m12s ago)`, `… (in 3d2h)`, or `invalid (N ms since 1970)`.
    static func moment(_ milliseconds: Int64, now: Int64) -> String {
        guard showable.contains(milliseconds) else { return iso8601(milliseconds) }
        let age = age(from: milliseconds, to: now)
        return "\(iso8601(milliseconds)) (\(age.hasPrefix("in ") ? age : age + " ago"))"
    }

    /// A duration such as `42s`, `5m12s`, `3h4m`, `2d5h`; negative ones read `0s`,
    /// longer than `longestShown` `over 10000d`.
    static func duration(milliseconds: Int64) -> String {
        guard milliseconds <= longestShown else { return "over \(longestShown / 86_400_000)d" }
        let seconds = max(0, milliseconds / 1000)
        switch seconds {
        case ..<60: return "\(seconds)s"
        case ..<3600: return "\(seconds / 60)m\(seconds % 60)s"
        case ..<86400: return "\(seconds / 3600)h\(seconds % 3600 / 60)m"
        default: return "\(seconds / 86400)d\(seconds % 86400 / 3600)h"
        }
    }

    /// `duration(milliseconds:)` of a computed number of seconds (an ETA): NaN
    /// reads `0s`, infinity and anything past `Int64` `over 10000d`.
    static func duration(seconds: Double) -> String {
        guard !seconds.isNaN else { return duration(milliseconds: 0) }
        let milliseconds = seconds * 1000
        guard milliseconds < Double(longestShown) + 1 else { return duration(milliseconds: .max) }
        return duration(milliseconds: milliseconds > 0 ? Int64(milliseconds) : 0)
    }
}
