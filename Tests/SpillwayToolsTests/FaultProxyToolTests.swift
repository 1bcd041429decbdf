import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    /// `spillway-fault-proxy`, checked end to end: HTTP requests cross the proxy to
    /// the proxy's own control port (a server that is always there), and each
    /// fault shows in what those requests see.
    @Suite struct FaultProxyToolTests {
        struct Proxy {
            let child: ChildProcess
            let routed: String
            let control: String

            /// Sends one command over stdin and reads its answer off the cooperative pool.
            func command(_ line: String) async -> String? {
                child.write(line + "\n")
                return await child.nextLine()
            }
        }

        static func start() async throws -> Proxy {
            let listen = freeLoopbackPort()
            let control = freeLoopbackPort()
            let child = try ChildProcess(BuiltProducts.path(of: "spillway-fault-proxy"), ["--route", "\(listen)=127.0.0.1:\(control)", "--control-port", "\(control)"])
            #expect(await child.nextLine() == "listening 127.0.0.1:\(listen) -> 127.0.0.1:\(control)")
            #expect(await child.nextLine() == "ready")
            return Proxy(child: child, routed: "http://127.0.0.1:\(listen)", control: "http://127.0.0.1:\(control)")
        }

        /// A fresh session per request: no connection carried from one phase to the next.
        static func request(_ url: String, method: String = "GET", timeout: TimeInterval = 10) async throws -> (Int, String) {
            var request = URLRequest(url: URL(string: url)!, timeoutInterval: timeout)
            request.httpMethod = method
            let session = URLSession(configuration: .ephemeral)
            defer { session.finishTasksAndInvalidate() }
            let (data, response) = try await session.data(for: request)
            return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
        }

        /// Whether a request failed by timing out, rather than being refused or reset.
        static func isTimeout(_ error: (any Error)?) -> Bool {
            guard let error else { return false }
            return (error as? URLError)?.code == .timedOut || String(describing: error).localizedCaseInsensitiveContains("timed out")
        }

        static func waitForControl(_ proxy: Proxy) async throws {
            var budget = PollingBudget(.seconds(20))  // time spent waiting for a thread does not count
            while budget.spend() {
                if (try? await request(proxy.control + "/status", timeout: 2))?.0 == 200 { return }
                try await Task.sleep(for: .milliseconds(50))
            }
            Issue.record("the control port did not answer")
        }

        @Test func faultsShowInWhatCrossesTheProxy() async throws {
            let proxy = try await Self.start()
            defer { proxy.child.kill(SIGTERM); proxy.child.wait() }
            try await Self.waitForControl(proxy)

            // Healthy: the request crosses and the answer comes back.
            let healthy = try await Self.request(proxy.routed + "/status")
            #expect(healthy.0 == 200)
            #expect(healthy.1.contains("[healthy]"))

            // rtt over stdin: a request and its answer take at least one added round trip.
            #expect(await proxy.command("rtt 600") == "ok: all routes: rtt 600 ms")
            var started = ContinuousClock.now
            #expect(try await Self.request(proxy.routed + "/status").0 == 200)
            #expect(ContinuousClock.now - started >= .milliseconds(600))

            // bandwidth over HTTP: ~250 bytes each way at 100 B/s take well over a second.
            #expect(try await Self.request(proxy.control + "/rtt?ms=0", method: "POST").0 == 200)
            #expect(try await Self.request(proxy.control + "/bandwidth?bytes=100", method: "POST").0 == 200)
            started = ContinuousClock.now
            let slow = try await Self.request(proxy.routed + "/status", timeout: 20)
            #expect(slow.1.contains("bandwidth 100 B/s"))
            #expect(ContinuousClock.now - started >= .milliseconds(1500))
            #expect(await proxy.command("clear") == "ok: all routes: healthy")

            // hang: the connection is taken but nothing crosses until `up`; then the held request completes.
            #expect(await proxy.command("hang") == "ok: all routes: hang")
            let answered = Answered()
            let held = Task {
                let answer = try await Self.request(proxy.routed + "/status", timeout: 120)
                await answered.set()
                return answer
            }
            try await Self.waitForHeldConnection(proxy)
            #expect(await answered.value == false, "held, not answered, while hung")
            #expect(await proxy.command("up") == "ok: all routes: healthy")
            let released = try await held.value
            #expect(released.0 == 200)

            // down: refused at once; up: served again.
            #expect(await proxy.command("down") == "ok: all routes: down")
            // Refused, not timed out: told apart by the error itself, not by a bound on the shared executor's clock.
            let refused = await #expect(throws: (any Error).self) { _ = try await Self.request(proxy.routed + "/status", timeout: 60) }
            #expect(!Self.isTimeout(refused), "refused, not timed out: \(String(describing: refused))")
            #expect(await proxy.command("up") == "ok: all routes: healthy")
            #expect(try await Self.request(proxy.routed + "/status").0 == 200)

            // Bad commands are refused with a reason.
            #expect(await proxy.command("sideways")?.hasPrefix("error: unknown command \"sideways\"") == true)
            #expect(await proxy.command("rtt soon")?.hasPrefix("error: usage: rtt MS") == true)
            #expect(await proxy.command("down 1") == "error: no route listens on port 1; routes: \(proxy.routed.dropFirst(7)) -> \(proxy.control.dropFirst(7))")
            #expect(try await Self.request(proxy.control + "/bandwidth?bytes=-5", method: "POST").0 == 400)
        }

        @Test func aDownProxyResetsOpenConnections() async throws {
            let proxy = try await Self.start()
            defer { proxy.child.kill(SIGTERM); proxy.child.wait() }
            try await Self.waitForControl(proxy)
            // A request held by a hang, then down: it fails with a reset instead of completing.
            #expect(await proxy.command("hang") == "ok: all routes: hang")
            let held = Task { try await Self.request(proxy.routed + "/status", timeout: 120) }
            try await Self.waitForHeldConnection(proxy)
            #expect(await proxy.command("down") == "ok: all routes: down, hang")
            // Reset, not timed out: told apart by the error itself, not by a bound on the shared executor's clock.
            let reset = await #expect(throws: (any Error).self) { _ = try await held.value }
            #expect(!Self.isTimeout(reset), "reset at once, not timed out: \(String(describing: reset))")
        }

        /// Waits until the proxy holds a client's connection (an event, not a guess at how long connecting takes).
        static func waitForHeldConnection(_ proxy: Proxy, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            var budget = PollingBudget(.seconds(15))  // time spent waiting for a thread does not count
            while await proxy.command("status")?.contains("connections 1") != true {
                guard budget.spend() else {
                    let status = await proxy.command("status") ?? "no status"
                    Issue.record("the proxy never held the connection: \(status)", sourceLocation: sourceLocation)
                    throw CancellationError()
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }

        actor Answered {
            private(set) var value = false
            func set() { value = true }
        }

        @Test func faultsApplyPerRouteAndRoutesMayShareAPortOnOtherHosts() async throws {
            let shared = freeLoopbackPort()
            let other = freeLoopbackPort()
            let control = freeLoopbackPort()
            let routes = ["127.0.0.1:\(shared)", "127.0.0.2:\(shared)", "127.0.0.1:\(other)"]
            let child = try ChildProcess(
                BuiltProducts.path(of: "spillway-fault-proxy"),
                routes.flatMap { ["--route", "\($0)=127.0.0.1:\(control)"] } + ["--control-port", "\(control)"]
            )
            defer { child.kill(SIGTERM); child.wait() }
            for route in routes { #expect(await child.nextLine() == "listening \(route) -> 127.0.0.1:\(control)") }
            #expect(await child.nextLine() == "ready")
            let proxy = Proxy(child: child, routed: "http://127.0.0.1:\(shared)", control: "http://127.0.0.1:\(control)")
            try await Self.waitForControl(proxy)
            for route in routes { #expect(try await Self.request("http://\(route)/status").0 == 200, "\(route)") }

            // Down by port: both routes on that port, on either host; the other port still serves.
            #expect(await proxy.command("down \(shared)") == "ok: 127.0.0.1:\(shared),127.0.0.2:\(shared): down")
            for route in routes.prefix(2) {
                await #expect(throws: (any Error).self, "\(route)") { _ = try await Self.request("http://\(route)/status", timeout: 5) }
            }
            #expect(try await Self.request("http://127.0.0.1:\(other)/status").0 == 200)
            #expect(await proxy.command("up") == "ok: all routes: healthy")
            for route in routes { #expect(try await Self.request("http://\(route)/status").0 == 200, "\(route)") }
        }

        @Test func aBadRouteIsRefusedInWords() async throws {
            let result = try await ChildProcess.runOffThePool(BuiltProducts.path(of: "spillway-fault-proxy"), ["--route", "19092=kafka"])
            #expect(result.status != 0)
            #expect(result.stderr.contains("the broker needs HOST:PORT"), "\(result.stderr)")
            let none = try await ChildProcess.runOffThePool(BuiltProducts.path(of: "spillway-fault-proxy"), [])
            #expect(none.status != 0)
            #expect(none.stderr.contains("give at least one --route"), "\(none.stderr)")
        }
    }
}
