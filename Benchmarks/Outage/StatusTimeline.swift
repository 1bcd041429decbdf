import Foundation
import NIOConcurrencyHelpers
import SpillwayRehearsal
import SpillwayService

/// The service's `/v1/status` every ~20 ms, on a task of its own, and its peak
/// resident memory: when the breaker left open, when replay ran, when the spool
/// emptied, what each instance counted as possibly persisted.
final class StatusTimeline: Sendable {
    struct Sample: Sendable {
        /// When the answer arrived, in milliseconds since 1970: the state was read before it.
        var atMs: Int64
        /// Which service instance answered (1, then 2 after a restart).
        var instance: Int
        var breakerState: String
        var replayPhase: String
        var replayRate: Double
        var spooled: Int
        var queued: Int
        var inFlight: Int
        var possiblyPersisted: Int
        var dropped: Int
        /// While open: seconds to the next probe (none while one runs).
        var nextProbeInSeconds: Double?
    }

    private struct Target {
        var instance: Int
        var admin: String
        var pid: Int32
    }

    private let target = NIOLockedValueBox<Target?>(nil)
    private let samples = NIOLockedValueBox<[Sample]>([])
    /// Peak resident set size by instance, in KiB.
    private let peakKiB = NIOLockedValueBox<[Int: Int]>([:])
    let interval: Duration

    init(interval: Duration = .milliseconds(20)) {
        self.interval = interval
    }

    /// Polls `service` from now on.
    func follow(_ service: ServiceProcess, instance: Int) {
        target.withLockedValue { $0 = Target(instance: instance, admin: service.admin, pid: service.pid) }
        notePeak(of: service, instance: instance)
    }

    /// Stops polling (a service is being stopped or killed).
    func pause() {
        target.withLockedValue { $0 = nil }
    }

    /// Reads `VmHWM` of `service` now: the last reading before it stops.
    func notePeak(of service: ServiceProcess, instance: Int) {
        if let kib = service.peakResidentKiB() {
            peakKiB.withLockedValue { $0[instance] = max($0[instance] ?? 0, kib) }
        }
    }

    var all: [Sample] { samples.withLockedValue { $0 } }
    var latest: Sample? { samples.withLockedValue { $0.last } }
    var peakResidentKiB: Int { peakKiB.withLockedValue { $0.values.max() ?? 0 } }

    /// Polls until cancelled.
    func run() async {
        var polls = 0
        while !Task.isCancelled {
            let next = ContinuousClock.now + interval
            if let current = target.withLockedValue({ $0 }) {
                if let status = await ServiceProcess.status(admin: current.admin) {
                    let sample = Sample(
                        atMs: WallTime.nowMs, instance: current.instance,
                        breakerState: status.breaker.state.rawValue, replayPhase: status.replay.phase, replayRate: status.replay.currentRate,
                        spooled: status.ledger.spooled, queued: status.ledger.queued, inFlight: status.ledger.inFlight,
                        possiblyPersisted: status.ledger.possiblyPersisted, dropped: status.ledger.droppedTotal,
                        nextProbeInSeconds: status.breaker.nextProbeInSeconds
                    )
                    samples.withLockedValue { $0.append(sample) }
                }
                polls += 1
                if polls % 10 == 0, let kib = ServiceProcess.peakResidentKiB(pid: current.pid) {
                    peakKiB.withLockedValue { $0[current.instance] = max($0[current.instance] ?? 0, kib) }
                }
            }
            try? await Task.sleep(until: next, clock: .continuous)
        }
    }
}
