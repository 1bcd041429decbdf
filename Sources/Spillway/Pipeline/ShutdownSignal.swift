import NIOConcurrencyHelpers

/// A one-shot signal: `trigger` once, and every waiter, past or future, resumes.
final class ShutdownSignal: Sendable {
    private let state = NIOLockedValueBox<(triggered: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func trigger() {
        let waiters = state.withLockedValue { state in
            state.triggered = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLockedValue { state in
                if state.triggered { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
