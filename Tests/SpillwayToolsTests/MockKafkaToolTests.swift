import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    /// `spillway-mock-kafka`, checked with kcat: an independent Kafka client.
    @Suite struct MockKafkaToolTests {
        static func kcat(_ arguments: [String], input: String? = nil) async throws -> (status: Int32, output: String) {
            let result = try await ChildProcess.runOffThePool(Prerequisites.kcatPath, arguments, input: input.map { Data($0.utf8) })
            return (result.status, result.stdout + result.stderr)
        }

        static func post(_ url: String) async throws -> (Int, String) {
            var request = URLRequest(url: URL(string: url)!)
            request.httpMethod = "POST"
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
        }

        @Test(.enabled(if: try Prerequisites.hasKcat, "needs kcat, an independent Kafka client (Debian's kcat; tools/setup installs it)"))
        func faultCommandsTakeEffectOverStdinAndHTTP() async throws {
            let port = freeLoopbackPort()
            let tool = try ChildProcess(BuiltProducts.path(of: "spillway-mock-kafka"), ["--topic", "rehearsal:1", "--control-port", "\(port)"])
            defer { tool.kill(SIGTERM); tool.wait() }
            let first = try #require(await tool.nextLine())
            #expect(first.hasPrefix("bootstrap 127.0.0.1:"))
            let bootstrap = String(first.dropFirst("bootstrap ".count))

            // Healthy: metadata and a produce work.
            #expect(try await Self.kcat(["-L", "-b", bootstrap, "-t", "rehearsal", "-m", "5"]).status == 0)
            #expect(try await Self.kcat(["-P", "-b", bootstrap, "-t", "rehearsal"], input: "one\n").status == 0)

            // Down over stdin: metadata fails; up again: it works.
            tool.write("down\n")
            #expect(await tool.nextLine() == "ok: broker all down")
            let down = try await Self.kcat(["-L", "-b", bootstrap, "-t", "rehearsal", "-m", "2"])
            #expect(down.status != 0)
            #expect(down.output.contains("transport failure") || down.output.contains("Failed"))
            tool.write("up\n")
            #expect(await tool.nextLine() == "ok: broker all up")
            #expect(try await Self.kcat(["-L", "-b", bootstrap, "-t", "rehearsal", "-m", "5"]).status == 0)

            // Pushed produce errors over HTTP: the next produce fails with that error.
            let (status, reply) = try await Self.post("http://127.0.0.1:\(port)/errors?code=NOT_ENOUGH_REPLICAS&count=1")
            #expect(status == 200, "\(reply)")
            let failed = try await Self.kcat(["-P", "-b", bootstrap, "-t", "rehearsal", "-X", "message.send.max.retries=0"], input: "two\n")
            #expect(failed.status != 0)
            #expect(failed.output.contains("Not enough in-sync replicas"))

            // Round-trip delay: a metadata request takes at least that long.
            #expect(try await Self.post("http://127.0.0.1:\(port)/rtt?ms=1500").0 == 200)
            let started = ContinuousClock.now
            #expect(try await Self.kcat(["-L", "-b", bootstrap, "-t", "rehearsal", "-m", "10"]).status == 0)
            #expect(ContinuousClock.now - started >= .milliseconds(1400))

            // Bad commands are refused with a reason.
            #expect(try await Self.post("http://127.0.0.1:\(port)/errors?code=NO_SUCH_ERROR&count=1").0 == 400)
            tool.write("sideways\n")
            #expect(await tool.nextLine()?.hasPrefix("error: unknown command") == true)
        }
    }
}
