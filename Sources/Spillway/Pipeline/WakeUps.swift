/// Which loop sleeps and wants a wake-up for new work: the delivery loop (in
/// librdkafka's poll) and the spool loop (on its semaphore). A loop marks itself
/// idle under the lock only when it found nothing to do; whoever then gives it
/// work under the same lock claims the wake-up, once, so a record is never left
/// waiting for a loop asleep, and `send` wakes nobody while the loops are busy.
/// Owned by `PipelineState`, under its lock.
struct WakeUps: Sendable {
    /// The delivery loop sleeps in librdkafka's poll and wants a wake-up for new work.
    private(set) var deliveryLoopIdle = false
    /// The spool loop is about to sleep and wants a wake-up for records callers wait on.
    private(set) var spoolLoopIdle = false

    /// The delivery loop found `idle` (nothing to send) before sleeping.
    mutating func deliveryLoop(idle: Bool) {
        deliveryLoopIdle = idle
    }

    /// Whether whoever just queued a live record must wake the delivery loop; claims the wake-up.
    mutating func claimDeliveryWake() -> Bool {
        guard deliveryLoopIdle else { return false }
        deliveryLoopIdle = false
        return true
    }

    /// The spool loop found `idle` (nothing to write) before sleeping.
    mutating func spoolLoop(idle: Bool) {
        spoolLoopIdle = idle
    }

    /// Whether whoever just handed over a record a caller waits on must wake the spool loop; claims the wake-up.
    mutating func claimSpoolWake() -> Bool {
        guard spoolLoopIdle else { return false }
        spoolLoopIdle = false
        return true
    }
}
