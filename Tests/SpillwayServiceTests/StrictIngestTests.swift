import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Spillway
import SpillwayService
import SpillwaySpool
import SpillwayTestKit
import Testing

extension MockKafkaSuites {
    /// Issue 13: ingest never changes the data it was given. What it cannot take
    /// exactly is refused with a clear error; what it takes reaches Kafka byte for byte.
    @Suite struct StrictIngestTests {
        static let ndjson: HTTPFields = [.contentType: "application/x-ndjson"]
        static let json: HTTPFields = [.contentType: "application/json"]
        static let restJSON: HTTPFields = [.contentType: "application/vnd.kafka.json.v2+json"]
        static let restBinary: HTTPFields = [.contentType: "application/vnd.kafka.binary.v2+json"]

        // MARK: Item 1: NDJSON is one JSON value per line

        @Test func ndjsonTakesExactlyOneValuePerLine() async throws {
            try await withService { harness in
                try await harness.server.ingestApplication.test(.router) { client in
                    // A raw newline inside a string splits it over two lines: neither line is JSON.
                    try await client.execute(uri: "/v1/topics/nl/records", method: .post, headers: Self.ndjson, body: ByteBuffer("{\"value\":\"a\nb\"}")) { response in
                        #expect(response.status == .badRequest)
                        let message = response.json()["error"] as? String ?? ""
                        #expect(message.hasPrefix("line 1:"), "\(message)")
                    }
                    // The same in a header name.
                    try await client.execute(uri: "/v1/topics/nl/records", method: .post, headers: Self.ndjson, body: ByteBuffer("{\"value\":\"x\"}\n{\"value\":\"y\",\"headers\":{\"h\n\":\"v\"}}\n")) { response in
                        #expect(response.status == .badRequest)
                        let message = response.json()["error"] as? String ?? ""
                        #expect(message.hasPrefix("line 2:"), "\(message)")
                    }
                    // Two values on one line are not two records.
                    try await client.execute(uri: "/v1/topics/nl/records", method: .post, headers: Self.ndjson, body: ByteBuffer(#"{"value":"a"},{"value":"b"}"#)) { response in
                        #expect(response.status == .badRequest)
                        let message = response.json()["error"] as? String ?? ""
                        #expect(message.hasPrefix("line 1:"), "\(message)")
                    }
                    try await client.execute(uri: "/v1/topics/nl/records", method: .post, headers: Self.ndjson, body: ByteBuffer("{\"value\":\"a\"} {\"value\":\"b\"}\n")) { response in
                        #expect(response.status == .badRequest)
                    }
                    // An escaped newline is a newline, kept exactly; CRLF line ends are fine.
                    try await client.execute(uri: "/v1/topics/nl/records", method: .post, headers: Self.ndjson, body: ByteBuffer("{\"value\":\"a\\nb\",\"headers\":{\"h\\n\":\"v\"}}\r\n")) { response in
                        #expect(response.status == .accepted)
                        #expect(response.json()["accepted"] as? Int == 1)
                    }
                }
                let status = try await harness.waitFor("delivered") { $0.ledger.delivered == 1 }
                #expect(status.ledger.accepted == 1)
                let records = try await harness.readTopic("nl")
                #expect(records.map(\.value) == [Array("a\nb".utf8)])
                #expect(records.first?.headers["h\n"] == Array("v".utf8))
            }
        }

        /// A pretty-printed JSON body is one value, whatever its line breaks.
        @Test func jsonBodiesAreOneValueWhateverTheirLines() async throws {
            try await withService { harness in
                try await harness.server.ingestApplication.test(.router) { client in
                    let pretty = "{\n  \"value\": \"pretty\"\n}\n"
                    try await client.execute(uri: "/v1/topics/pretty/records", method: .post, headers: Self.json, body: ByteBuffer(pretty)) { response in
                        #expect(response.status == .accepted, "\(response.text)")
                    }
                    // Two objects are not one JSON value.
                    try await client.execute(uri: "/v1/topics/pretty/records", method: .post, headers: Self.json, body: ByteBuffer("{\"value\":\"a\"}\n{\"value\":\"b\"}")) { response in
                        #expect(response.status == .badRequest)
                    }
                }
                try await harness.waitFor("delivered") { $0.ledger.delivered == 1 }
                #expect(try await harness.readTopic("pretty").map(\.value) == [Array("pretty".utf8)])
            }
        }

        /// Header names are a list in Kafka: a name given twice is refused, not silently collapsed to one.
        @Test func duplicateFieldsAreRefusedNotCollapsed() async throws {
            try await withService { harness in
                try await harness.server.ingestApplication.test(.router) { client in
                    try await client.execute(uri: "/v1/topics/dup/records", method: .post, headers: Self.ndjson, body: ByteBuffer(#"{"value":"a","headers":{"h":"1","h":"2"}}"#)) { response in
                        #expect(response.status == .badRequest)
                        #expect((response.json()["error"] as? String)?.contains("\"h\"") == true)
                    }
                    try await client.execute(uri: "/v1/topics/dup/records", method: .post, headers: Self.ndjson, body: ByteBuffer(#"{"value":"a","value":"b"}"#)) { response in
                        #expect(response.status == .badRequest)
                        #expect((response.json()["error"] as? String)?.contains("\"value\"") == true)
                    }
                    // A misspelt field is not ignored (the record would lose what it meant).
                    try await client.execute(uri: "/v1/topics/dup/records", method: .post, headers: Self.ndjson, body: ByteBuffer(#"{"value":"a","partiton":3}"#)) { response in
                        #expect(response.status == .badRequest)
                        #expect((response.json()["error"] as? String)?.contains("partiton") == true)
                    }
                    // Headers as a list keep order, repeats and binary values.
                    let list = #"{"value":"a","headers":[{"name":"h","value":"1"},{"name":"h","value":"AP8=","encoding":"base64"}]}"#
                    try await client.execute(uri: "/v1/topics/dup/records", method: .post, headers: Self.ndjson, body: ByteBuffer(list)) { response in
                        #expect(response.status == .accepted, "\(response.text)")
                    }
                }
                let status = try await harness.waitFor("delivered") { $0.ledger.delivered == 1 }
                #expect(status.ledger.accepted == 1)
            }
        }

        /// librdkafka takes a header name as a C string: a NUL in it would cut the name short in Kafka.
        @Test func headerNamesKafkaCannotCarryAreRefused() async throws {
            try await withService { harness in
                try await harness.server.ingestApplication.test(.router) { client in
                    let body = #"[{"value":"a","headers":{"a\u0000b":"v"}},{"value":"b","headers":[{"name":"","value":"v"}]},{"value":"c","headers":{"ok":"v"}}]"#
                    try await client.execute(uri: "/v1/topics/names/records", method: .post, headers: Self.json, body: ByteBuffer(body)) { response in
                        #expect(response.status == .accepted)
                        let rejections = response.json()["rejections"] as? [[String: Any]] ?? []
                        #expect(rejections.map { $0["index"] as? Int } == [0, 1])
                        #expect((rejections.first?["reason"] as? String)?.contains("NUL") == true, "\(rejections)")
                    }
                }
                try await harness.waitFor("delivered") { $0.ledger.delivered == 1 }
                #expect(try await harness.readTopic("names").first?.headers == ["ok": Array("v".utf8)])
            }
        }

        // MARK: Item 2: strict base64

        @Test func base64IsStrictEverywhere() async throws {
            try await withService { harness in
                let bad = ["====", "QUJD=", "QUJD==", "QUJDQQ===", "QUJ", "QU JD", "QUJD\n", "QR==", "QUJD-_==", "=QUJ"]
                try await harness.server.ingestApplication.test(.router) { client in
                    let items = bad.map { #"{"value":"\#($0.replacingOccurrences(of: "\n", with: "\\n"))","value_encoding":"base64"}"# }
                        + [#"{"value":"QUJD","value_encoding":"base64"}"#, #"{"value":"QUI=","value_encoding":"base64"}"#, #"{"value":"","value_encoding":"base64"}"#,
                           #"{"value":"k","key":"QUJD=","key_encoding":"base64"}"#]
                    try await client.execute(uri: "/v1/topics/b64/records", method: .post, headers: Self.json, body: ByteBuffer("[" + items.joined(separator: ",") + "]")) { response in
                        #expect(response.status == .accepted)
                        let body = response.json()
                        let rejections = body["rejections"] as? [[String: Any]] ?? []
                        #expect(rejections.map { $0["index"] as? Int } == Array(0..<bad.count).map(Optional.some) + [bad.count + 3])
                        for rejection in rejections {
                            #expect((rejection["reason"] as? String)?.contains("base64") == true)
                        }
                        #expect(body["accepted"] as? Int == 3)
                    }
                    let rest = #"{"records":[{"value":"===="},{"value":"QUJD="},{"value":"QUJD"},{"key":"QUJD==","value":"QUJD"}]}"#
                    try await client.execute(uri: "/topics/b64", method: .post, headers: Self.restBinary, body: ByteBuffer(rest)) { response in
                        #expect(response.status == .ok)
                        let offsets = response.json()["offsets"] as? [[String: Any]] ?? []
                        #expect(offsets.map { $0["error_code"] as? Int } == [42202, 42202, nil, 42202])
                    }
                }
                let status = try await harness.waitFor("delivered") { $0.ledger.delivered == 4 }
                #expect(status.ledger.accepted == 4)
                let values = try await harness.readTopic("b64").map { String(decoding: $0.value ?? [], as: UTF8.self) }
                #expect(values.sorted() == ["", "ABC", "ABC", "AB"].sorted())
            }
        }

        // MARK: Item 3: REST Proxy JSON values byte for byte

        @Test func restProxyJSONValuesAreForwardedByteExact() async throws {
            try await withService { harness in
                let value = #"{"n":123456789012345678901234567890,"f":1.10,"b":1,"a":2}"#
                let spaced = #"{ "x" : [1, 2.50, -0.0, 1E+2, "\u00e9\n"] }"#
                try await harness.server.ingestApplication.test(.router) { client in
                    let body = #"{"records":[{"key":{"id": 7},"value":\#(value)},{"value":\#(spaced)},{"value":1e400},{"value":"plain"}]}"#
                    try await client.execute(uri: "/topics/exact", method: .post, headers: Self.restJSON, body: ByteBuffer(body)) { response in
                        #expect(response.status == .ok)
                        let offsets = response.json()["offsets"] as? [[String: Any]] ?? []
                        #expect(offsets.map { $0["error_code"] as? Int } == [nil, nil, 42202, nil])
                        let error = offsets.count > 2 ? offsets[2]["error"] as? String ?? "" : ""
                        #expect(error.contains("1e400") && error.contains("range"), "\(error)")
                    }
                }
                let status = try await harness.waitFor("delivered") { $0.ledger.delivered == 3 }
                #expect(status.ledger.accepted == 3)
                let records = try await harness.readTopic("exact")
                #expect(Set(records.map { String(decoding: $0.value ?? [], as: UTF8.self) }) == [value, spaced, #""plain""#])
                #expect(records.first { $0.key != nil }?.key == Array(#"{"id": 7}"#.utf8))
            }
        }

        // MARK: Item 4: header bytes are never substituted

        @Test func nonUTF8KeyAndHeaderBytesAreRefusedNotReplaced() async throws {
            try await withService { harness in
                try await harness.server.ingestApplication.test(.router) { client in
                    var badKey = HTTPFields()
                    badKey.append(HTTPField(name: HTTPField.Name("X-Spillway-Key")!, value: [0x6B, 0xFF, 0x6B]))
                    try await client.execute(uri: "/v1/topics/raw", method: .post, headers: badKey, body: ByteBuffer("v")) { response in
                        #expect(response.status == .badRequest)
                        let message = response.json()["error"] as? String ?? ""
                        #expect(message.contains("X-Spillway-Key") && message.contains("UTF-8"), "\(message)")
                    }
                    var badHeader = HTTPFields()
                    badHeader.append(HTTPField(name: HTTPField.Name("X-Spillway-Header-Trace")!, value: [0xC3, 0x28]))
                    try await client.execute(uri: "/v1/topics/raw", method: .post, headers: badHeader, body: ByteBuffer("v")) { response in
                        #expect(response.status == .badRequest)
                        #expect((response.json()["error"] as? String)?.contains("X-Spillway-Header-Trace") == true)
                    }
                    // What the HTTP parser makes of such bytes (U+FFFD) cannot be told from them: refused too.
                    var replaced = HTTPFields()
                    replaced[HTTPField.Name("X-Spillway-Key")!] = "k\u{FFFD}"
                    try await client.execute(uri: "/v1/topics/raw", method: .post, headers: replaced, body: ByteBuffer("v")) { response in
                        #expect(response.status == .badRequest)
                    }
                    // Valid UTF-8 is kept exactly.
                    var good = HTTPFields()
                    good[HTTPField.Name("X-Spillway-Key")!] = "clé"
                    good[HTTPField.Name("X-Spillway-Header-Where")!] = "Zürich"
                    try await client.execute(uri: "/v1/topics/raw", method: .post, headers: good, body: ByteBuffer("v")) { response in
                        #expect(response.status == .accepted)
                    }
                }
                let status = try await harness.waitFor("delivered") { $0.ledger.delivered == 1 }
                #expect(status.ledger.accepted == 1)
                let records = try await harness.readTopic("raw")
                #expect(records.first?.key == Array("clé".utf8))
                #expect(records.first?.headers["Where"] == Array("Zürich".utf8))
            }
        }

        // MARK: Item 13: partition below -1

        @Test func partitionBelowMinusOneIsRefusedAtIntake() async throws {
            try await withService { harness in
                try await harness.server.ingestApplication.test(.router) { client in
                    try await client.execute(uri: "/v1/topics/parts/records", method: .post, headers: Self.json, body: ByteBuffer(#"[{"value":"a","partition":-2}]"#)) { response in
                        #expect(response.status == .unprocessableContent)
                        let rejections = response.json()["rejections"] as? [[String: Any]] ?? []
                        #expect((rejections.first?["reason"] as? String)?.contains("partition -2") == true, "\(rejections)")
                    }
                    try await client.execute(uri: "/topics/parts", method: .post, headers: Self.restJSON, body: ByteBuffer(#"{"records":[{"value":1,"partition":-5},{"value":2,"partition":-1}]}"#)) { response in
                        let offsets = response.json()["offsets"] as? [[String: Any]] ?? []
                        #expect(offsets.map { $0["error_code"] as? Int } == [42202, nil])
                    }
                }
                // The library refuses it too, as a rejection.
                let disposition = harness.server.buffer.send(topic: "parts", value: Array("b".utf8), partition: -3)
                guard case .rejected(let rejection) = disposition else {
                    Issue.record("partition -3 was taken: \(disposition)")
                    return
                }
                #expect(rejection.description.contains("partition -3"))
                let status = try await harness.waitFor("delivered") { $0.ledger.delivered == 1 }
                #expect(status.ledger.accepted == 1)
                #expect(status.ledger.droppedTotal == 0)
            }
        }

        // MARK: Item 9: an unwritable spool is not ready

        @Test(.enabled(if: try Prerequisites.canWriteProtect, "needs write protection: as root, the temporary folder's file system must support the immutable flag (chattr +i)"))
        func unwritableSpoolIsNotReadyAndRecordsGetTheirTrueDisposition() async throws {
            let directory = TemporaryDirectory("spillway-readonly")
            defer { directory.remove() }
            let path = directory.file("spool.db")
            try SpoolFixtures.open(SpoolConfiguration(path: path)).close()
            try await WriteProtection.withUnwritable([path]) {
                try await withService(configure: { $0.pipeline.spool.path = path }) { harness in
                    let status = try await harness.waitFor("the spool found unwritable", timeout: .seconds(30)) {
                        // Not just `!spoolAvailable` (also true before the first opening is tried): the
                        // spool's own error, published with the flag once an opening failed.
                        !$0.spoolAvailable && $0.lastError?.contains("cannot be written") == true
                    }
                    let reason = status.lastError ?? ""
                    #expect(reason.contains(path) && reason.contains("cannot be written"), "\(reason)")
                    try await harness.server.ingestApplication.test(.router) { client in
                        try await client.execute(uri: "/readyz", method: .get) { response in
                            #expect(response.status == .serviceUnavailable)
                        }
                        harness.server.buffer.setBreakerMode(.forcedOpen)
                        try await harness.waitFor("forced open") { $0.breaker.mode == .forcedOpen }
                        try await client.execute(uri: "/v1/topics/held", method: .post, body: ByteBuffer("x")) { response in
                            let body = response.json()
                            #expect(body["disposition"] as? String == "dropped")
                            #expect(body["reason"] as? String == "spool_unavailable")
                        }
                    }
                    let after = harness.server.buffer.status()
                    #expect(after.ledger.dropped["spool_unavailable"] == 1)
                    #expect(after.ledger.dropped["spool_failed"] == nil)
                }
            }
            let left = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            #expect(!left.contains { $0.contains("corrupt") }, "an unwritable spool is not moved aside: \(left)")
        }
    }
}
