import Foundation
import Hummingbird
import HummingbirdTesting
import SpillwayService
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    /// Bodies sent compressed (issue 21, item 5): Spillway never stores bytes it was
    /// not meant to store. A transfer coding other than `chunked` is answered 501 and
    /// a content coding other than `identity` 415, each naming the coding, in the
    /// route's error shape, on every route that takes a body; nothing of the request
    /// becomes a record, and the connection serves the next request.
    @Suite struct BodyCodingTests {
        /// `{"a":1}`, gzipped.
        static let gzipped: [UInt8] = [
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56, 0x4a, 0x54,
            0xb2, 0x32, 0xac, 0x05, 0x00, 0xaf, 0xac, 0x1b, 0x56, 0x07, 0x00, 0x00, 0x00,
        ]

        /// A request with `head` (request line and header lines, without the blank line) and the gzipped body.
        static func request(_ head: String, chunked: Bool = false) -> [UInt8] {
            guard chunked else {
                return Array("\(head)\r\nContent-Length: \(gzipped.count)\r\n\r\n".utf8) + gzipped
            }
            return Array("\(head)\r\n\r\n\(String(gzipped.count, radix: 16))\r\n".utf8) + gzipped + Array("\r\n0\r\n\r\n".utf8)
        }

        struct Refused: CustomTestStringConvertible, Sendable {
            var name: String
            var request: [UInt8]
            var status: Int
            /// The coding the answer must name.
            var coding: String
            /// REST Proxy's `error_code`, on its route; else the answer is `{"error": …}`.
            var restProxyCode: Int?
            var testDescription: String { name }
        }

        static let refused: [Refused] = [
            Refused(
                name: "native, gzip transfer coding", request: request("POST /v1/topics/coded HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked", chunked: true),
                status: 501, coding: "gzip"
            ),
            Refused(name: "native, gzip content", request: request("POST /v1/topics/coded HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip"), status: 415, coding: "gzip"),
            Refused(name: "native, brotli content", request: request("POST /v1/topics/coded HTTP/1.1\r\nHost: x\r\nContent-Encoding: br"), status: 415, coding: "br"),
            Refused(
                name: "records, gzip content",
                request: request("POST /v1/topics/coded/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: GZIP"),
                status: 415, coding: "gzip"
            ),
            Refused(
                name: "records, deflate transfer coding",
                request: request("POST /v1/topics/coded/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: deflate, chunked", chunked: true),
                status: 501, coding: "deflate"
            ),
            Refused(
                name: "REST Proxy, gzip content",
                request: request("POST /topics/coded HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.kafka.json.v2+json\r\nContent-Encoding: identity, gzip"),
                status: 415, coding: "gzip", restProxyCode: 41501
            ),
            Refused(
                name: "REST Proxy, gzip transfer coding",
                request: request("POST /topics/coded HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.kafka.json.v2+json\r\nTransfer-Encoding: gzip, chunked", chunked: true),
                status: 501, coding: "gzip", restProxyCode: 50101
            ),
        ]

        @Test(arguments: refused) func aCodedBodyIsRefusedNamingItsCoding(_ refused: Refused) async throws {
            try await ListenerLimitsTests.withHarness { harness in
                try await harness.server.ingestApplication.test(.live) { client in
                    let connection = try RawConnection(port: client.port!)
                    connection.send(refused.request)
                    let text = await connection.readResponse(timeout: ListenerLimitsTests.closeWithin)
                    let response = RawResponse(text)
                    #expect(response.status == refused.status, "answer: \(text)")
                    let message = response.errorMessage(restProxyCode: refused.restProxyCode)
                    #expect(message?.contains("\"\(refused.coding)\"") == true, "the answer does not name \(refused.coding): \(text)")

                    // The body was read past, not left in the way: the connection serves the next request.
                    connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    let next = await connection.readResponse(timeout: ListenerLimitsTests.closeWithin)
                    #expect(RawResponse(next).status == 200, "the next request on the connection: \(next)")
                }
                #expect(harness.server.buffer.status().ledger.accepted == 0, "a coded body became a record")
            }
        }

        /// `identity` and `chunked` are no codings to refuse: the body is the value, as sent.
        @Test func identityAndChunkedAreTaken() async throws {
            try await ListenerLimitsTests.withHarness { harness in
                try await harness.server.ingestApplication.test(.live) { client in
                    let connection = try RawConnection(port: client.port!)
                    connection.send("POST /v1/topics/plain HTTP/1.1\r\nHost: x\r\nContent-Encoding: identity\r\nContent-Length: 5\r\n\r\nplain")
                    let identity = await connection.readResponse(timeout: ListenerLimitsTests.closeWithin)
                    #expect(RawResponse(identity).status == 202, "answer: \(identity)")
                    connection.send("POST /v1/topics/plain HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nchu\r\n4\r\nnked\r\n0\r\n\r\n")
                    let chunked = await connection.readResponse(timeout: ListenerLimitsTests.closeWithin)
                    #expect(RawResponse(chunked).status == 202, "answer: \(chunked)")
                }
                try await harness.waitFor("both delivered") { $0.ledger.delivered == 2 }
                let values = try await harness.readTopic("plain").map { String(decoding: $0.value ?? [], as: UTF8.self) }
                #expect(values.sorted() == ["chunked", "plain"])
            }
        }

        /// The admin listener's bodies are commands; a compressed one is refused the same way, in the admin contract.
        @Test func anAdminCommandWithACodedBodyIsRefused() async throws {
            try await ListenerLimitsTests.withHarness { harness in
                try await harness.server.adminApplication.test(.live) { client in
                    let connection = try RawConnection(port: client.port!)
                    connection.send(Self.request("PUT /v1/breaker HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: gzip"))
                    let text = await connection.readResponse(timeout: ListenerLimitsTests.closeWithin)
                    let response = RawResponse(text)
                    #expect(response.status == 415, "answer: \(text)")
                    #expect((response.json?["error"] as? String)?.contains("\"gzip\"") == true, "answer: \(text)")
                    connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    #expect(RawResponse(await connection.readResponse(timeout: ListenerLimitsTests.closeWithin)).status == 200)
                }
            }
        }
    }
}
