/// One lane, process-wide, for the tests that start pipelines, mock clusters,
/// services or tool processes: each runs a dozen threads, and on a loaded
/// 2-core machine several at once turn every wait into a coin flip.
///
/// Swift Testing's `.serialized` orders tests only within one suite tree, and
/// `swift test` runs every test target in one process, so the lane is this
/// process-wide async mutex instead. Waiting for it suspends, it never blocks a
/// thread. Re-entrant within a task tree (a task-local marks the holder), so a
/// helper that takes it inside a test that already holds it does not deadlock.
/// Each test target applies it through its `.heavyLane` trait.
package enum HeavyTestLane {
    @TaskLocal private static var isHeld = false
    private static let gate = Gate()

    /// Runs `body` holding the lane, waiting (suspended) until it is free.
    package static func run<T>(_ body: () async throws -> T) async throws -> T {
        if isHeld { return try await body() }
        await gate.enter()
        do {
            let result = try await $isHeld.withValue(true) { try await body() }
            await gate.leave()
            return result
        } catch {
            await gate.leave()
            throw error
        }
    }

    /// A first-come, first-served async mutex.
    private actor Gate {
        private var busy = false
        private var waiting: [CheckedContinuation<Void, Never>] = []

        func enter() async {
            guard busy else {
                busy = true
                return
            }
            await withCheckedContinuation { waiting.append($0) }
        }

        func leave() {
            if waiting.isEmpty {
                busy = false
            } else {
                waiting.removeFirst().resume()
            }
        }
    }
}
