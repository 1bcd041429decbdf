import Spillway

extension SpillwayRouter {
    /// Runs every compartment while `body` runs, then shuts them down and waits
    /// until they have stopped, whether `body` returned or threw: a failing test
    /// leaves no pipeline thread behind.
    package func whileRunning<T>(_ body: () async throws -> T) async throws -> T {
        let running = Task { try await run() }
        let result: T
        do {
            result = try await body()
        } catch {
            shutdown()
            _ = try? await running.value
            throw error
        }
        shutdown()
        try await running.value
        return result
    }
}
