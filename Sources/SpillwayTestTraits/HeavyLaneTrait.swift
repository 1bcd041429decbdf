import SpillwayTestKit
import Testing

/// Runs each test of the suite it marks in `HeavyTestLane`, the one lane in this
/// process for tests that start pipelines, mock clusters, services or tools.
/// The lane itself is in SpillwayTestKit, which tools link too and so cannot
/// import Testing; this trait is its Swift Testing face, for every test target.
package struct HeavyLaneTrait: SuiteTrait, TestTrait, TestScoping {
    package var isRecursive: Bool { true }

    /// Per test case only, not around a whole suite: a suite holding the lane would
    /// keep every other heavy suite waiting while its own light tests ran.
    package func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        testCase == nil ? nil : self
    }

    package func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        try await HeavyTestLane.run { try await function() }
    }
}

extension Trait where Self == HeavyLaneTrait {
    /// Runs in the process-wide lane for tests that start pipelines, clusters, services or tools.
    package static var heavyLane: Self { Self() }
}
