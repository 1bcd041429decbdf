import Foundation

/// Runs blocking work (a topic read that waits up to 20 s, a child's output or
/// exit, a sleep) on a thread of its own and resumes the caller when it is done.
/// Swift's cooperative pool has one thread per core: on a 2-core machine two
/// tests blocking it stall every other test, pipeline waits and timers included.
package func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}

/// `offThePool` for work that cannot throw.
package func offThePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}
