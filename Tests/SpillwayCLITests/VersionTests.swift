import SpillwayTestKit
import Testing

/// `spillway --version` names the librdkafka loaded at run time, not the one
/// compiled against: CI runs this with Debian's 2.0.2 and again with 2.16 on
/// `LD_LIBRARY_PATH`, and the binary must tell them apart.
@Suite struct VersionTests {
    @Test func versionNamesTheLibrdkafkaActuallyLoaded() async throws {
        let result = try await CLI.run("--version")
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("spillway 0.1.0 (librdkafka \(LoadedLibrdkafka.version), SQLite "), "\(result.stdout)")
    }
}
