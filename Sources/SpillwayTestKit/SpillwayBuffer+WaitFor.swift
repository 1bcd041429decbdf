import Spillway

extension SpillwayBuffer {
    /// Waits until the status satisfies `condition`, checking that the ledger
    /// balances in every snapshot on the way; throws, saying what it waited for
    /// and the last status seen, when `timeout` passes first. Every test target
    /// waits for the pipeline through this one function. The timeout is a
    /// `PollingBudget`: time this task spent waiting for a thread does not count.
    package func waitFor(_ what: String, timeout: Duration = .seconds(30), _ condition: (SpillwayStatus) -> Bool) async throws -> SpillwayStatus {
        var budget = PollingBudget(timeout)
        while true {
            let status = status()
            guard status.ledger.imbalance == 0 else {
                throw TestFailure("the ledger is out of balance by \(status.ledger.imbalance) while waiting for \(what): \(status.ledger)")
            }
            if condition(status) { return status }
            guard budget.spend() else {
                throw TestFailure(
                    "timed out after \(budget.description) waiting for \(what); last status: \(status.ledger), breaker \(status.breaker.mode.rawValue)/\(status.breaker.state.rawValue), replay \(status.replayPhase.rawValue)"
                )
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
