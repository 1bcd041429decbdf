import Foundation

/// What a process holds in memory, split as the kernel counts it: an idle
/// service's RSS is mostly code (file-backed), an outage's growth anonymous.
/// Read by the benchmarks and the rehearsal harness, so a memory regression shows.
package struct ResidentMemory: Sendable {
    /// `VmRSS`: resident now.
    package var residentKiB: Int
    /// `RssAnon`: the heap, thread stacks, malloc's arenas.
    package var anonymousKiB: Int
    /// `RssFile`: code and read-only data of the executable and its shared objects.
    package var fileBackedKiB: Int
    /// `VmHWM`: the most resident at once so far.
    package var peakKiB: Int

    /// Process `pid`'s figures from `/proc/PID/status`; nil once it is gone.
    package static func of(pid: Int32) -> ResidentMemory? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        var fields: [Substring: Int] = [:]
        for line in text.split(separator: "\n") {
            // "VmRSS:\t   12345 kB": a tab after the name, then spaces.
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2, parts[0].hasSuffix(":"), let kib = Int(parts[1]) else { continue }
            fields[parts[0].dropLast()] = kib
        }
        guard let resident = fields["VmRSS"], let peak = fields["VmHWM"] else { return nil }
        return ResidentMemory(residentKiB: resident, anonymousKiB: fields["RssAnon"] ?? 0,
                              fileBackedKiB: fields["RssFile"] ?? 0, peakKiB: peak)
    }

    /// This process's figures.
    package static func ofThisProcess() -> ResidentMemory? {
        of(pid: getpid())
    }
}
