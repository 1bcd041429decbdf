import Foundation

/// Wall-clock milliseconds, the clock record timestamps are in.
enum WallTime {
    static var nowMs: Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
