import Spillway
import SpillwaySpool
import SpillwayTestKit
import Testing

/// Operators' replay controls on a buffer that never runs (nothing here needs Kafka).
@Suite struct ReplayControlsTests {
    static func buffer(_ directory: TemporaryDirectory) throws -> SpillwayBuffer {
        var configuration = SpillwayConfiguration()
        configuration.kafka.bootstrapServers = ["127.0.0.1:1"]
        configuration.kafka.properties["log_level"] = "0"
        configuration.spool = SpoolConfiguration(path: directory.file("spool.db"))
        configuration.replay = ReplayConfiguration(recordsPerSecond: 10_000, bytesPerSecond: 1e8, minRecordsPerSecond: 500, batchSize: 100)
        return try SpillwayBuffer(configuration: configuration)
    }

    /// The ceiling wins: set below the floor, it lowers the floor with it, and a
    /// floor above the ceiling is refused, naming both.
    @Test func aCeilingBelowTheFloorLowersTheFloor() throws {
        let directory = TemporaryDirectory("spillway-replay-controls")
        defer { directory.remove() }
        let buffer = try Self.buffer(directory)
        try buffer.setReplayRate(recordsPerSecond: 200)
        #expect(buffer.status().replayConfiguration.recordsPerSecond == 200)
        #expect(buffer.status().replayConfiguration.minRecordsPerSecond == 200)
        try buffer.setReplayRate(recordsPerSecond: 5000, minRecordsPerSecond: 1000)
        #expect(buffer.status().replayConfiguration.minRecordsPerSecond == 1000)
        #expect(throws: SpillwayConfigurationError.self) { try buffer.setReplayRate(minRecordsPerSecond: 6000) }
        #expect(buffer.status().replayConfiguration.minRecordsPerSecond == 1000, "a refused change changes nothing")
        try buffer.setReplayRate(bytesPerSecond: 1e6)
        #expect(buffer.status().replayConfiguration.recordsPerSecond == 5000, "each field changes alone")
    }
}
