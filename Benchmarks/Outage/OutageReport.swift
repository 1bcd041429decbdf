import Foundation

/// Prints the runs as a table, and the issue's targets as met or NOT met.
enum OutageReport {
    static func seconds(_ milliseconds: Int64?) -> String {
        guard let milliseconds else { return "n/a" }
        return String(format: "%.2f s", Double(milliseconds) / 1000)
    }

    static func millis(_ summary: LatencySummary?) -> String {
        summary.map { "\($0.p99) ms" } ?? "n/a"
    }

    /// MiB (the kernel's KiB / 1024) to MB of 10^6 bytes, the unit the targets are written in.
    static func megabytes(_ mebibytes: Double) -> Double {
        mebibytes * 1_048_576 / 1_000_000
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text.padding(toLength: width, withPad: " ", startingAt: 0)
    }

    /// A few lines under each run: what the table has no room for.
    static func printDetail(_ figures: OutageFigures, run: Int) {
        var lines: [String] = []
        if let note = figures.detectionNote { lines.append("detection: n/a, \(note); the reader's first record after the broker came back: \(seconds(figures.firstArrivalMs))") }
        if let replay = figures.replayRanMs {
            lines.append("replay ran \(seconds(replay.from))–\(seconds(replay.to)) after the broker came back; spool empty at \(seconds(figures.spoolEmptyMs))")
        }
        for (label, summary) in [("live before", figures.liveBefore), ("live during replay", figures.liveDuringReplay),
                                 ("live during replay, round trip slow", figures.liveDuringDegradedReplay), ("live, round trip slow, no backlog", figures.liveDegraded)] {
            if let summary { lines.append("\(label): p50 \(summary.p50) ms, p99 \(summary.p99) ms, max \(summary.max) ms (\(summary.count) records)") }
        }
        if let catchUp = figures.catchUpMs { lines.append("catch-up: last backlog record \(seconds(catchUp)) after the round trip was normal again") }
        if let inMemory = figures.inMemoryAtKill { lines.append("SIGKILL: \(inMemory) records in the killed instance's memory at its last status; bound \(figures.memoryBound)") }
        if let sentAt = figures.slowestRequestSentAfter {
            lines.append(String(format: "slowest request: %.3f s, sent %.1f s into the load", Double(figures.slowestRequest.components.seconds) + Double(figures.slowestRequest.components.attoseconds) / 1e18, sentAt))
        }
        if figures.drainTimedOut { lines.append("the service still owed Kafka records when the drain timeout passed") }
        if figures.droppedCounted > 0 { lines.append("dropped and counted by the service: \(figures.droppedCounted)") }
        if figures.duplicates.ids > 0 { lines.append("duplicates: \(figures.duplicates.summary)") }
        for (id, why) in figures.duplicates.unexplained.prefix(3) { lines.append("unexplained duplicate chaos-\(id): \(why)") }
        for line in lines { print("    \(line)") }
    }

    static func printTable(_ results: [OutageFigures]) {
        let header = [("scenario", 44), ("acked", 8), ("delivered", 10), ("lost", 6), ("dups", 6), ("unexpl", 7), ("poss.pers", 10),
                      ("detect", 8), ("drain", 8), ("spool 0", 8), ("p99 before", 11), ("p99 replay", 11), ("idle RSS", 10), ("peak RSS", 10), ("after RSS", 16), ("slowest req", 11)]
        print("")
        print(header.map { pad($0.0, $0.1) }.joined())
        for figures in results {
            let row = [
                figures.scenario.title, "\(figures.acknowledged)", "\(figures.deliveredUnique)", "\(figures.lost)",
                "\(figures.duplicates.extraCopies)", "\(figures.duplicates.unexplained.count)", "\(figures.possiblyPersisted)",
                seconds(figures.detectionMs), seconds(figures.drainMs), seconds(figures.spoolEmptyMs),
                millis(figures.liveBefore), millis(figures.scenario == .degradedControl ? figures.liveDegraded : figures.liveDuringReplay),
                figures.idleResidentMiB.map { String(format: "%.1f MB", megabytes($0)) } ?? "n/a",
                String(format: "%.1f MB", megabytes(figures.peakResidentMiB)),
                figures.afterResidentMiB.map { String(format: "%.1f (%.1f anon)", megabytes($0), megabytes(figures.afterAnonymousMiB ?? 0)) } ?? "n/a",
                String(format: "%.3f s", Double(figures.slowestRequest.components.seconds) + Double(figures.slowestRequest.components.attoseconds) / 1e18),
            ]
            print(zip(row, header).map { pad($0, $1.1) }.joined())
        }
        print("""
            (detect: broker answers → breaker leaves open; drain: broker answers → the reader has the last backlog record;
             spool 0: broker answers → the status says the spool is empty; p99: the reader's arrival minus the record's
             timestamp, before: stamped in the healthy second before the fault, replay: stamped while replay ran, and for
             the control: stamped while the round trip was slow; idle RSS: the service warmed up and idle for
             3 s before the load; peak RSS: VmHWM, the most resident at once; after RSS: idle again 3 s after the
             drain, MB, with its anonymous part (heap, arenas, stacks); MB = 10^6 bytes)
            """)
    }

    /// Prints each target; returns whether all were met.
    static func printTargets(_ results: [OutageFigures], outage: Duration) -> Bool {
        var allMet = true
        func verdict(_ met: Bool, _ text: String) {
            allMet = allMet && met
            print("  \(met ? "met    " : "NOT met") \(text)")
        }
        print("\ntargets (issue 10):")

        let withOutage = results.filter(\.scenario.hasOutage)
        // The issue's detection target covers the broker coming back as it was (down,
        // hang, down + SIGKILL). In `degraded` it comes back with a 500 ms round trip:
        // reconnecting, ApiVersion and the metadata probe take three round trips at
        // least, so its detection is shown, not held to the same bound.
        let targeted = withOutage.filter { $0.scenario != .degraded }
        let detections = targeted.compactMap(\.detectionMs).sorted()
        let undetected = targeted.filter { $0.detectionMs == nil }
        if let maxDetection = detections.last {
            let median = detections[(detections.count - 1) / 2]
            verdict(median <= 1000 && maxDetection <= 2000,
                    "detection (broker answers → breaker leaves open): median \(seconds(median)) ≤ 1 s, max \(seconds(maxDetection)) ≤ 2 s over \(detections.count) outages (down, hang; degraded shown apart)")
            if !undetected.isEmpty {
                print("          not counted, the breaker was not open when the broker came back: " + undetected.map {
                    "\($0.scenario.rawValue) (\($0.detectionNote ?? "?"); first record read \(seconds($0.firstArrivalMs)) after)"
                }.joined(separator: "; "))
            }
            for scenario in Set(withOutage.map(\.scenario)).sorted(by: { $0.rawValue < $1.rawValue }) {
                let values = withOutage.filter { $0.scenario == scenario }.compactMap(\.detectionMs).sorted()
                guard let last = values.last else { continue }
                let apart = scenario == .degraded ? " (not held to the target: three round trips of 500 ms at least)" : ""
                print("          \(scenario.rawValue): \(values.map { seconds($0) }.joined(separator: ", ")) (median \(seconds(values[(values.count - 1) / 2])), max \(seconds(last)))\(apart)")
            }
        }

        for figures in results where figures.scenario == .down {
            verdict((figures.drainMs ?? .max) <= 15_000, "broker down \(outage): backlog drained \(seconds(figures.drainMs)) after recovery (≤ 15 s, detection and replay)")
        }

        let controls = results.compactMap(\.liveDegraded).map(\.p99).sorted()
        for figures in results where figures.scenario == .degraded {
            guard let during = figures.liveDuringDegradedReplay else {
                verdict(false, "degraded: no live record was stamped while replay ran on the slow round trip")
                continue
            }
            if !controls.isEmpty {
                let reference = controls[(controls.count - 1) / 2]
                verdict(Double(during.p99) <= 2 * Double(reference),
                        "degraded: live p99 during replay \(during.p99) ms ≤ 2 × \(reference) ms, the live p99 the same slow round trip gives with no backlog (control)")
            }
            if let before = figures.liveBefore {
                print("          (against the healthy live p99 before the outage, \(before.p99) ms: \(String(format: "%.1f", Double(during.p99) / Double(max(1, before.p99))))×; the 500 ms round trip alone adds at least 500 ms to every record, so this ratio cannot be 2×)")
            }
            verdict((figures.catchUpMs ?? .max) <= 15_000, "degraded: backlog caught up \(seconds(figures.catchUpMs)) after the round trip was normal again (≤ 15 s)")
        }

        for figures in results where figures.scenario == .hang {
            let share = Double(figures.duplicates.extraCopies) / Double(max(1, figures.acknowledged))
            verdict(share <= 0.01 && figures.duplicates.unexplained.isEmpty,
                    "hang: \(figures.duplicates.extraCopies) duplicates (\(String(format: "%.3f", share * 100)) % ≤ 1 %), \(figures.duplicates.unexplained.count) unexplained; \(figures.possiblyPersisted) counted possibly persisted")
        }

        for figures in results where figures.scenario == .downKill {
            verdict(figures.lost <= figures.memoryBound,
                    "SIGKILL mid-outage: \(figures.lost) lost ≤ the memory bound \(figures.memoryBound) (\(figures.inMemoryAtKill.map { "\($0) in memory at the last status before the kill" } ?? "no status before the kill"))")
        }

        print("\ntargets (issue 22):")
        for figures in results where figures.scenario == .down {
            verdict((figures.drainMs ?? .max) <= 2_000 && figures.lost == 0 && figures.duplicates.extraCopies == 0,
                    "broker down \(outage): drained \(seconds(figures.drainMs)) after it answered (≤ 2 s), \(figures.lost) lost, \(figures.duplicates.extraCopies) duplicates (0 each)")
        }
        if let idle = results.compactMap(\.idleResidentMiB).max() {
            let anonymous = results.compactMap(\.idleAnonymousMiB).max() ?? 0
            verdict(megabytes(idle) <= 25, String(format: "idle RSS %.1f MB ≤ 25 MB (the most of %d runs; %.1f MB of it anonymous, the rest code and read-only data)",
                                                   megabytes(idle), results.count, megabytes(anonymous)))
        }
        if let peak = results.filter({ $0.scenario == .down }).map(\.peakResidentMiB).max() {
            verdict(megabytes(peak) <= 30, String(format: "peak RSS during the down scenario %.1f MB ≤ 30 MB", megabytes(peak)))
        }

        // The books, in every run: nothing lost but to a SIGKILL, every duplicate explained.
        for figures in results {
            let lostOK = figures.scenario == .downKill || (figures.lost == 0 && figures.stillSpooled == 0)
            if !lostOK || !figures.duplicates.unexplained.isEmpty || figures.drainTimedOut {
                verdict(false, "\(figures.scenario.rawValue): \(figures.lost) lost, \(figures.stillSpooled) still spooled, \(figures.duplicates.unexplained.count) unexplained duplicates\(figures.drainTimedOut ? ", drain timed out" : "")")
            }
        }
        return allMet
    }
}
