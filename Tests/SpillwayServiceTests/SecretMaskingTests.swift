import Foundation
import SpillwayTestKit
import SpillwayTestTraits
import Testing

/// Issue 13, item 5: a credential in the configuration never reaches a message,
/// an error or a log line of `config check` or `serve`, whether librdkafka takes it or not.
@Suite(.heavyLane) struct SecretMaskingTests {
    static let secrets = ["S3CRET-OIDC-7f3a", "S3CRET-TYPO-91bc", "S3CRET-SASL-c0de", "S3CRET-ADMIN-TOKEN-55aa", "S3CRET-KEY-PASS-e1e1"]

    /// Runs `spillway` to completion and returns its exit status and everything it printed.
    /// Blocks on the child, so it runs off the cooperative pool.
    static func spillway(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        try await offThePool {
            var variables = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SPILLWAY_") }
            variables.merge(environment) { $1 }
            let directory = TemporaryDirectory("spillway-secrets-run")
            defer { directory.remove() }
            let errorFile = directory.file("stderr")
            let child = try ChildProcess(BuiltProducts.path(of: "spillway"), arguments, environment: variables, standardErrorFile: errorFile)
            var output = ""
            while let line = child.readLine() { output += line + "\n" }
            let status = child.wait()
            output += (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
            return (status, output)
        }
    }

    static func expectNoSecret(in output: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in secrets {
            #expect(!output.contains(secret), "\(what) printed \(secret):\n\(output)", sourceLocation: sourceLocation)
        }
    }

    @Test func propertiesLibrdkafkaRefusesAreNamedWithoutTheirValue() async throws {
        let directory = TemporaryDirectory("spillway-secrets")
        defer { directory.remove() }
        // Debian's librdkafka refuses the first (built without OIDC); every build refuses the misspelt one.
        let files = [
            #"{"kafka": {"properties": {"sasl.oauthbearer.client.secret": "S3CRET-OIDC-7f3a", "sasl.oauthbearer.method": "oidc"}}}"#,
            #"{"kafka": {"properties": {"sasl.oauthbearer.client.secrett": "S3CRET-TYPO-91bc"}}}"#,
            #"{"kafka": {"properties": {"ssl.key.password": "S3CRET-KEY-PASS-e1e1", "security.protocol": "bogus"}}}"#,
        ]
        for (index, json) in files.enumerated() {
            let path = directory.file("config-\(index).json")
            try Data(json.utf8).write(to: URL(fileURLWithPath: path))
            let check = try await Self.spillway(["config", "check", path])
            Self.expectNoSecret(in: check.output, "config check \(json)")
            let serve = try await Self.spillway(["serve", "--config", path, "--port", "0", "--admin-port", "0", "--spool", directory.file("spool.db")])
            #expect(serve.status != 0, "serve started with \(json)")
            Self.expectNoSecret(in: serve.output, "serve \(json)")
        }
        // The refusal still names the property, so the operator knows what to fix.
        let misspelt = try await Self.spillway(["config", "check", directory.file("config-1.json")])
        #expect(misspelt.output.contains("sasl.oauthbearer.client.secrett"))
    }

    @Test func aServiceThatStartsWithSecretsNeverPrintsThem() async throws {
        let directory = TemporaryDirectory("spillway-secrets")
        defer { directory.remove() }
        let path = directory.file("config.json")
        let json = #"{"admin": {"token": "S3CRET-ADMIN-TOKEN-55aa"}, "log_level": "trace", "kafka": {"properties": {"sasl.password": "S3CRET-SASL-c0de", "sasl.username": "me"}}}"#
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))

        let check = try await Self.spillway(["config", "check", path])
        #expect(check.status == 0, "\(check.output)")
        Self.expectNoSecret(in: check.output, "config check")

        let tooShort = try await Self.spillway(["config", "check"], environment: ["SPILLWAY_ADMIN_TOKEN": "S3CRET-ADMIN"])
        #expect(tooShort.status != 0)
        #expect(!tooShort.output.contains("S3CRET-ADMIN"), "\(tooShort.output)")

        var variables = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SPILLWAY_") }
        variables["SPILLWAY_CONFIG"] = path
        let errorFile = directory.file("serve.log")
        let child = try ChildProcess(
            BuiltProducts.path(of: "spillway"),
            ["serve", "--dev", "--port", "0", "--admin-port", "0", "--spool", directory.file("spool.db")],
            environment: variables, standardErrorFile: errorFile
        )
        var budget = PollingBudget(.seconds(60))  // time spent waiting for a thread does not count
        var log = ""
        while budget.spend(), child.process.isRunning {
            log = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
            if log.contains("spillway ingest listening") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(log.contains("spillway ingest listening"), "serve did not start: \(log)")
        child.kill(SIGTERM)
        #expect(await child.waitForExit() == 0)
        var output = await offThePool {
            var output = ""
            while let line = child.readLine() { output += line + "\n" }
            return output
        }
        output += (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
        Self.expectNoSecret(in: output, "serve")
    }
}
