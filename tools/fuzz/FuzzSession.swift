import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Spillway
import SpillwayService
import SpillwaySpool
import SpillwayTestKit

/// The fuzzer's state between requests: what was taken, to compare with Kafka at the end.
struct FuzzSession: Sendable {
    /// A record as Kafka should get it.
    struct Expected: Hashable, Sendable {
        var topic: String
        var key: [UInt8]?
        var value: [UInt8]?
        var headers: [String: [UInt8]?]
    }

    let buffer: SpillwayBuffer
    var mutator: Mutator
    private(set) var count = 0
    private(set) var acceptedRecords = 0
    private(set) var refusedRequests = 0
    private var expected: [Expected: Int] = [:]

    init(buffer: SpillwayBuffer, mutator: Mutator) {
        self.buffer = buffer
        self.mutator = mutator
    }

    /// Sends one request and checks every oracle; returns the first violation.
    mutating func exercise(_ request: FuzzRequest, client: some TestClientProtocol) async throws -> String? {
        count += 1
        // What the decoders take, checked against Foundation's readers before the route sees the request.
        let decoded: [Result<OutgoingRecord, IngestRejection>]?
        do {
            decoded = try decode(request)
        } catch let mismatch as ReferenceDecoder.Mismatch {
            return "decoder took data the request does not hold: \(mismatch)"
        }

        var fields = HTTPFields()
        // What HTTP actually carries: HTTPTypes trims a value's surrounding whitespace, as HTTP/1 parsers do.
        var sent: [(name: String, value: [UInt8])] = []
        for header in request.headers {
            guard let name = HTTPField.Name(header.name) else { continue }
            let field = HTTPField(name: name, value: header.value)
            fields.append(field)
            sent.append((header.name, field.withUnsafeBytesOfValue { Array($0) }))
        }
        let before = buffer.status().ledger
        var answer: (status: Int, text: String)?
        try await client.execute(uri: request.path, method: .post, headers: fields, body: ByteBuffer(bytes: request.body)) { response in
            answer = (response.status.code, String(buffer: response.body))
        }
        guard let (status, text) = answer else { return "no answer" }
        guard status < 500 || (status == 503 && text.contains("shutting")) else {
            return "answered \(status): \(text.prefix(300))"
        }
        guard let document = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            return "answered \(status) with a body that is not a JSON object: \(text.prefix(300))"
        }
        let taken = takenRecords(request, sent: sent, status: status, document: document, decoded: decoded)
        let after = buffer.status().ledger
        guard after.imbalance == 0 else { return "the ledger is out of balance by \(after.imbalance): \(after)" }
        let grew = after.accepted - before.accepted
        guard grew == taken.count else {
            return "the answer says \(taken.count) records were taken, but accepted grew by \(grew)"
        }
        if taken.isEmpty { refusedRequests += 1 }
        acceptedRecords += taken.count
        for record in taken { expected[record, default: 0] += 1 }
        return nil
    }

    /// The decoders' view, checked record by record against Foundation's; `nil` for the single-record route.
    private func decode(_ request: FuzzRequest) throws -> [Result<OutgoingRecord, IngestRejection>]? {
        let media = request.contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        switch request.route {
        case .batch:
            guard media == nil || NativeBatch.contentTypes.contains(media!) else { return nil }
            guard let items = try? NativeBatch.decode(request.body, topic: request.topic, mediaType: media) else { return nil }
            guard let objects = ReferenceDecoder.batchObjects(request.body, mediaType: media), objects.count == items.count else {
                throw ReferenceDecoder.Mismatch(description: "Spillway read \(items.count) records; Foundation cannot read the body the same way")
            }
            for (index, item) in items.enumerated() {
                if case .success(let record) = item { try ReferenceDecoder.checkBatch(record, against: objects[index], index: index) }
            }
            return items
        case .restProxy:
            guard let format = RestProxyProduce.format(contentType: request.contentType),
                  let items = try? RestProxyProduce.decode(request.body, topic: request.topic, format: format) else { return nil }
            guard let document = ReferenceDecoder.json(request.body) as? [String: Any], let records = document["records"] as? [Any], records.count == items.count else {
                // Foundation refuses a whole body holding a number beyond a double's range; Spillway
                // refuses only the record holding it, or ignores it in a field REST Proxy ignores.
                if (try? RawJSONParser.parse(request.body))?.firstOutOfRangeNumber != nil { return items }
                throw ReferenceDecoder.Mismatch(description: "Spillway read \(items.count) REST Proxy records; Foundation does not")
            }
            for (index, item) in items.enumerated() {
                if case .success(let record) = item {
                    try ReferenceDecoder.checkRestProxy(record, against: records[index], index: index, binary: format == .binary)
                }
            }
            return items
        case .single, .other:
            return nil
        }
    }

    /// The records the answer says were taken, as Kafka should get them.
    private func takenRecords(
        _ request: FuzzRequest, sent: [(name: String, value: [UInt8])], status: Int, document: [String: Any], decoded: [Result<OutgoingRecord, IngestRejection>]?
    ) -> [Expected] {
        func expected(_ record: OutgoingRecord) -> Expected {
            Expected(topic: record.topic, key: record.key, value: record.value, headers: Dictionary(record.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last }))
        }
        switch request.route {
        case .single:
            guard status == 202, let disposition = document["disposition"] as? String, disposition == "queued" || disposition == "spooled" else { return [] }
            let key = sent.first { $0.name.lowercased() == "x-spillway-key" }?.value
            var headers: [String: [UInt8]?] = [:]
            for header in sent where header.name.lowercased().hasPrefix("x-spillway-header-") {
                headers[String(header.name.dropFirst("x-spillway-header-".count))] = header.value
            }
            return [Expected(topic: request.topic, key: key, value: request.body, headers: headers)]
        case .batch:
            // A summary answer (not a refusal of the whole request, such as an invalid topic).
            guard status == 202 || status == 422, document["accepted"] != nil, let decoded else { return [] }
            let refused = Set(((document["rejections"] as? [[String: Any]]) ?? []).compactMap { $0["index"] as? Int })
            var taken: [Expected] = []
            for (index, item) in decoded.enumerated() where !refused.contains(index) {
                if case .success(let record) = item { taken.append(expected(record)) }
            }
            // Dropped ones were accepted, then dropped: they stay expected, and Kafka may lack them.
            return taken
        case .restProxy:
            guard status == 200, let decoded, let offsets = document["offsets"] as? [[String: Any]], offsets.count == decoded.count else { return [] }
            var taken: [Expected] = []
            for (index, item) in decoded.enumerated() {
                let error = offsets[index]["error_code"] as? Int
                if case .success(let record) = item, error == nil || error == 50002 { taken.append(expected(record)) }
            }
            return taken
        case .other:
            return []
        }
    }

    /// Waits for the pipeline to settle, then checks Kafka holds only taken records, unchanged.
    func settleAndCompare(cluster: MockKafkaCluster) async throws -> String? {
        let deadline = ContinuousClock.now + .seconds(60)
        var ledger = buffer.status().ledger
        while ledger.queued + ledger.inFlight + ledger.handoffQueued > 0 {
            guard ContinuousClock.now < deadline else { return "the pipeline did not settle within 60 s: \(ledger)" }
            try await Task.sleep(for: .milliseconds(50))
            ledger = buffer.status().ledger
        }
        guard ledger.imbalance == 0 else { return "the ledger is out of balance by \(ledger.imbalance): \(ledger)" }
        guard ledger.accepted == acceptedRecords else { return "accepted is \(ledger.accepted), but answers said \(acceptedRecords) records were taken" }
        var remaining = expected
        var delivered = 0
        for topic in Set(expected.keys.map(\.topic)).sorted() {
            for record in try KafkaTopicReader.readAll(bootstrapServers: cluster.bootstrapServers, topic: topic) {
                delivered += 1
                let seen = Expected(topic: topic, key: record.key, value: record.value, headers: record.headers)
                guard let left = remaining[seen], left > 0 else {
                    return "Kafka holds a record no request gave: topic \(topic), key \(String(describing: record.key?.prefix(40))), value \(String(describing: record.value?.prefix(80))), headers \(record.headers)"
                }
                remaining[seen] = left - 1
            }
        }
        guard delivered == ledger.delivered else { return "Kafka holds \(delivered) records, the ledger says \(ledger.delivered) delivered" }
        return nil
    }
}
