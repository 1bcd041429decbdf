import Foundation
import Hummingbird
import HummingbirdTesting
import SpillwayService
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    /// Bodies whose framing the HTTP parser refuses (issue 21, item 6): after one,
    /// nothing on the connection can be read reliably, so the answer is a 400 that
    /// says `Connection: close` and why, in the route's error shape, and then the
    /// connection closes; nothing of the body becomes a record; a new connection works.
    @Suite struct BodyFramingTests {
        struct Malformed: CustomTestStringConvertible, Sendable {
            var name: String
            var request: String
            /// REST Proxy's `error_code`, on its route; else the answer is `{"error": …}`.
            var restProxyCode: Int?
            /// What the reason must name, when something in particular.
            var names: String?
            var testDescription: String { name }
        }

        static let native = "POST /v1/topics/framing HTTP/1.1\r\nHost: x\r\n"
        static let restProxy = "POST /topics/framing HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.kafka.binary.v2+json\r\n"

        static let malformed: [Malformed] = [
            Malformed(name: "a chunk size that is not hexadecimal", request: native + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
            Malformed(name: "chunk data longer than its size", request: native + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello world\r\n0\r\n\r\n"),
            Malformed(name: "chunk lines ended by LF alone", request: native + "Transfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n"),
            Malformed(name: "Transfer-Encoding identity", request: native + "Transfer-Encoding: identity\r\n\r\nhello", names: "\"identity\""),
            Malformed(name: "Transfer-Encoding gzip without chunked", request: native + "Transfer-Encoding: gzip\r\n\r\nhello", names: "\"gzip\""),
            Malformed(name: "Transfer-Encoding identity with Content-Length", request: native + "Transfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello", names: "Transfer-Encoding"),
            Malformed(name: "chunked not the last transfer coding", request: native + "Transfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n", names: "chunked"),
            Malformed(
                name: "REST Proxy, a chunk size that is not hexadecimal",
                request: restProxy + "Transfer-Encoding: chunked\r\n\r\n4\r\n{\"re\r\nzz\r\ncords\":[]}\r\n0\r\n\r\n", restProxyCode: 40001
            ),
        ]

        @Test(arguments: malformed) func aFramingErrorIsAnsweredThenTheConnectionCloses(_ malformed: Malformed) async throws {
            try await ListenerLimitsTests.withHarness { harness in
                try await harness.server.ingestApplication.test(.live) { client in
                    let connection = try RawConnection(port: client.port!)
                    // One request answered first: the connection is a keep-alive one when the bad one comes.
                    connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    #expect(RawResponse(await connection.readResponse(timeout: ListenerLimitsTests.closeWithin)).status == 200)

                    connection.send(malformed.request)
                    let (text, closed) = await connection.readUntilClosed(timeout: ListenerLimitsTests.closeWithin)
                    #expect(closed, "the connection stays open after a body that cannot be framed: \(text)")
                    let response = RawResponse(text)
                    #expect(response.status == 400, "answer: \(text)")
                    #expect(response.headers["connection"]?.lowercased() == "close", "a 400 that closes the connection does not say so: \(text)")
                    let message = response.errorMessage(restProxyCode: malformed.restProxyCode)
                    #expect(message != nil, "answer: \(text)")
                    #expect(message?.contains("http_parser") == false && message?.contains("unknown") == false, "not a reason a person can act on: \(text)")
                    if let names = malformed.names { #expect(message?.contains(names) == true, "the reason does not name \(names): \(text)") }
                    // Exactly one answer: the parser's error is not answered a second time.
                    #expect(text.components(separatedBy: "HTTP/1.1 ").count == 2, "answers: \(text)")

                    let fresh = try RawConnection(port: client.port!)
                    fresh.send("POST /v1/topics/framing HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nnext")
                    let next = await fresh.readResponse(timeout: ListenerLimitsTests.closeWithin)
                    #expect(RawResponse(next).status == 202, "a new connection after it: \(next)")
                }
                // `test(.live)` returns once the server has stopped and every request handler has returned.
                #expect(harness.server.buffer.status().ledger.accepted == 1, "part of a body that could not be framed became a record")
            }
        }

        /// Requests sent back to back (pipelined): the one before the bad one is answered
        /// in full, then the refusal, then the connection closes; HTTP answers in order,
        /// so the refusal waits for an earlier answer still being made.
        @Test func aRequestBeforeTheBadOneIsAnsweredFirst() async throws {
            // The first is answered once committed, however slow the disk: no deadline comes first.
            try await ListenerLimitsTests.withHarness(configure: { $0.pipeline.ack.timeout = .seconds(600) }) { harness in
                try await harness.server.ingestApplication.test(.live) { client in
                    let connection = try RawConnection(port: client.port!)
                    connection.send(
                        "POST /v1/topics/framing HTTP/1.1\r\nHost: x\r\nX-Spillway-Ack: spool\r\nContent-Length: 5\r\n\r\nfirst"
                            + Self.native + "Transfer-Encoding: chunked\r\n\r\nzz\r\n0\r\n\r\n"
                    )
                    let (text, closed) = await connection.readUntilClosed(timeout: ListenerLimitsTests.closeWithin)
                    #expect(closed, "answers: \(text)")
                    let answers = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { RawResponse("HTTP/1.1 " + $0) }
                    #expect(answers.map(\.status) == [202, 400], "answers: \(text)")
                    #expect(answers.first?.json?["reached"] as? String == "spool", "answers: \(text)")
                    #expect(answers.last?.headers["connection"]?.lowercased() == "close", "answers: \(text)")
                }
                #expect(harness.server.buffer.status().ledger.accepted == 1)
            }
        }

        /// A body cut off by the body timeout (408, then the connection closes) is
        /// not a record either: the route must not read the closed connection as the body's end.
        @Test func aBodyCutOffByTheBodyTimeoutIsNotARecord() async throws {
            try await ListenerLimitsTests.withHarness(configure: { $0.bodyTimeout = .milliseconds(500) }) { harness in
                try await harness.server.ingestApplication.test(.live) { client in
                    let connection = try RawConnection(port: client.port!)
                    connection.send("POST /v1/topics/cut HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly the first part")
                    let (text, closed) = await connection.readUntilClosed(timeout: ListenerLimitsTests.closeWithin)
                    #expect(closed && RawResponse(text).status == 408, "answer: \(text)")
                }
                #expect(harness.server.buffer.status().ledger.accepted == 0, "a body cut off became a record")
            }
        }
    }
}
