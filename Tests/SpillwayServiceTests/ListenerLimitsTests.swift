import Foundation
import Hummingbird
import HummingbirdTesting
import SpillwayService
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    /// The ingest listener against slow, idle, oversized and malformed connections
    /// (issue 13, items 7 and 8), over real sockets: in-process router tests skip the channel.
    @Suite struct ListenerLimitsTests {
        /// `withService` with an ingest listener on a free port and short limits that tests can outwait.
        static func withHarness(configure: @escaping (inout ServiceSettings) -> Void = { _ in }, _ body: (ServiceHarness) async throws -> Void) async throws {
            try await withService(configure: { settings in
                settings.httpPort = 0
                settings.idleTimeout = .seconds(30)
                settings.headerTimeout = .seconds(30)
                settings.bodyTimeout = .seconds(30)
                configure(&settings)
            }, body)
        }

        static let closeWithin: Duration = .seconds(15)

        @Test func anIdleConnectionIsClosed() async throws {
            try await Self.withHarness(configure: { $0.idleTimeout = .milliseconds(500) }) { harness in
                try await harness.server.ingestApplication.test(.live) { client in
                    let connection = try RawConnection(port: client.port!)
                    let (_, closed) = await connection.readUntilClosed(timeout: Self.closeWithin)
                    #expect(closed, "an idle connection stays open past http.idle_timeout_ms")
                }
            }
        }

        @Test func aKeepAliveConnectionBetweenRequestsIsIdleNotSlow() async throws {
            // Between requests nothing is late: the idle timeout closes the connection, silently,
            // and the (shorter) header timeout does not answer 408 for a request nobody began.
            try await Self.withHarness(configure: {
                $0.headerTimeout = .milliseconds(300)
                $0.idleTimeout = .seconds(2)
            }) { harness in
                try await harness.server.ingestApplication.test(.live) { client in
                    let connection = try RawConnection(port: client.port!)
                    // The answer ends after the request is sent, and the idle timeout runs from that end:
                    // measured from the send, a load that delays this test only lengthens what it sees.
                    let sent = ContinuousClock.now
                    connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    #expect(RawResponse(await connection.readResponse(timeout: Self.closeWithin)).status == 200)
                    let (text, closed) = await connection.readUntilClosed(timeout: Self.closeWithin)
                    #expect(closed)
                    #expect(text.isEmpty, "answered a request never sent: \(text)")
                    #expect(ContinuousClock.now - sent >= .milliseconds(1900), "closed before the idle timeout")
                }
            }
        }

        @Test func slowHeadersAreCutOffByTheHeaderTimeout() async throws {
            try await Self.withHarness(configure: { $0.headerTimeout = .seconds(1) }) { harness in
                try await harness.server.ingestApplication.test(.live) { client in
                    let connection = try RawConnection(port: client.port!)
                    connection.send("POST /v1/topics/slow HTTP/1.1\r\nHost: x\r\n")
                    // One header byte every 100 ms: always active, never finished (slowloris).
                    let dribble = Task {
                        while !Task.isCancelled, connection.send("X") {
                            try? await Task.sleep(for: .milliseconds(100))
                        }
                    }
                    let (text, closed) = await connection.readUntilClosed(timeout: Self.closeWithin)
                    dribble.cancel()
                    #expect(closed, "headers sent a byte at a time keep the connection forever")
                    let response = RawResponse(text)
                    #expect(response.status == 408, "answer: \(text)")
                    #expect(response.json?["error"] as? String != nil, "answer: \(text)")
                }
            }
        }

        @Test func aBodyThatNeverArrivesIsCutOffByTheBodyTimeout() async throws {
            try await Self.withHarness(configure: { $0.bodyTimeout = .seconds(1) }) { harness in
                try await harness.server.ingestApplication.test(.live) { client in
                    let connection = try RawConnection(port: client.port!)
                    connection.send("POST /v1/topics/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nfirst")
                    let dribble = Task {
                        while !Task.isCancelled, connection.send("x") {
                            try? await Task.sleep(for: .milliseconds(100))
                        }
                    }
                    let (text, closed) = await connection.readUntilClosed(timeout: Self.closeWithin)
                    dribble.cancel()
                    #expect(closed, "a body that trickles in keeps the connection forever")
                    #expect(RawResponse(text).status == 408, "answer: \(text)")
                }
            }
        }

        @Test func connectionsBeyondTheLimitWaitForOneToClose() async throws {
            // HummingbirdTesting's live mode drops the connection limit (it rebuilds the configuration
            // with only an address), so the listener runs here as `serve` runs it, on a free port.
            let idle: Duration = .seconds(2)
            let port = freeLoopbackPort()
            try await Self.withHarness(configure: {
                $0.httpPort = port
                $0.maxConnections = 2
                $0.idleTimeout = idle
            }) { harness in
                let application = harness.server.ingestApplication
                let listening = Task { try await application.runService(gracefulShutdownSignals: []) }
                defer { listening.cancel() }
                func connectWhenListening() async throws -> RawConnection {
                    var budget = PollingBudget(.seconds(20))  // time spent waiting for a thread does not count
                    while true {
                        if let connection = try? RawConnection(port: port) { return connection }
                        guard budget.spend() else { throw RawConnection.Failure(description: "nothing listens on \(port)") }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
                // Two connections, each seen answered (so each was accepted), then a third: it waits
                // until the idle timeout closes one of the two, which is at least `idle` after the first
                // request was sent. Measured from that send, load on this machine only lengthens the wait.
                var firstSent: ContinuousClock.Instant?
                var holders: [RawConnection] = []
                for _ in 0..<2 {
                    let holder = try await connectWhenListening()
                    firstSent = firstSent ?? ContinuousClock.now
                    holder.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    #expect(RawResponse(await holder.readResponse(timeout: Self.closeWithin)).status == 200)
                    holders.append(holder)
                }
                let waiting = try RawConnection(port: port)
                waiting.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                let response = RawResponse(await waiting.readResponse(timeout: Self.closeWithin))
                let waited = ContinuousClock.now - firstSent!
                #expect(response.status == 200)
                #expect(waited >= .milliseconds(1900), "answered \(waited) after the first request: the connection limit did not hold")
                listening.cancel()
                _ = try? await listening.value
            }
        }

        @Test func aDeclaredBodyOverTheLimitIsRefusedBeforeItIsRead() async throws {
            try await Self.withHarness(configure: { $0.maxBodyBytes = 1000 }) { harness in
                try await harness.server.ingestApplication.test(.live) { client in
                    // Nothing of the body is sent: the answer must come from the declared length alone.
                    let native = try RawConnection(port: client.port!)
                    native.send("POST /v1/topics/big HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n")
                    let nativeAnswer = RawResponse(await native.readResponse(timeout: Self.closeWithin))
                    #expect(nativeAnswer.status == 413)
                    #expect((nativeAnswer.json?["error"] as? String)?.contains("1000") == true, "answer: \(nativeAnswer.body)")

                    let restProxy = try RawConnection(port: client.port!)
                    restProxy.send("POST /topics/big HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.kafka.json.v2+json\r\nContent-Length: 1000000000\r\n\r\n")
                    let restProxyAnswer = RawResponse(await restProxy.readResponse(timeout: Self.closeWithin))
                    #expect(restProxyAnswer.status == 413)
                    #expect(restProxyAnswer.json?["error_code"] as? Int == 41301, "answer: \(restProxyAnswer.body)")

                    // At the limit is fine.
                    let fits = try RawConnection(port: client.port!)
                    fits.send("POST /v1/topics/fits HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + String(repeating: "a", count: 1000))
                    #expect(RawResponse(await fits.readResponse(timeout: Self.closeWithin)).status == 202)
                }
            }
        }

        @Test func protocolErrorsGetTheJSONErrorShape() async throws {
            try await Self.withHarness { harness in
                try await harness.server.ingestApplication.test(.live) { client in
                    let connection = try RawConnection(port: client.port!)
                    connection.send("POST /v1/topics/t HTTP/1.1\r\nHost: x\r\nX-Bad: a\u{01}b\r\nContent-Length: 1\r\n\r\nx")
                    let text = await connection.readResponse(timeout: Self.closeWithin)
                    let response = RawResponse(text)
                    #expect(response.status == 400, "answer: \(text)")
                    #expect(response.headers["content-type"] == "application/json", "answer: \(text)")
                    #expect(response.json?["error"] as? String != nil, "answer: \(text)")
                }
            }
        }
    }
}
