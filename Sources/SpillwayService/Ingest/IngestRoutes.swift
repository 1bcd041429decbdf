import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import NIOCore
import Spillway
import SpillwaySpool

/// The ingest listener: native endpoints and Confluent REST Proxy v2 produce.
/// A request is answered right after the hand-over (`memory`, the default), or,
/// when it asks for `spool` or `kafka` (`X-Spillway-Ack`, or the topic's default),
/// once its records have reached that level: only that request waits.
struct IngestRoutes: Sendable {
    /// Every request names one topic: its records go to that topic's compartment.
    let router: SpillwayRouter
    let settings: ServiceSettings
    let handover = Metrics.Timer(label: MetricCatalog.handoverLatency.name, preferredDisplayUnit: .seconds)

    static let keyHeader = HTTPField.Name("X-Spillway-Key")!
    static let headerPrefix = "x-spillway-header-"

    /// What `register` adds, for the answer to a request no route takes.
    static let endpoints: [UnknownRouteMiddleware<BasicRequestContext>.Endpoint] = [
        .init(method: .post, path: "/v1/topics/:topic"), .init(method: .post, path: "/v1/topics/:topic/records"),
        .init(method: .post, path: "/topics/:topic"),
    ]

    func register(on http: Router<BasicRequestContext>) {
        http.post("/v1/topics/:topic") { request, context in
            await respond(native: true) { try await single(request, context) }
        }
        http.post("/v1/topics/:topic/records") { request, context in
            await respond(native: true) { try await batch(request, context) }
        }
        http.post("/topics/:topic") { request, context in
            await respond(native: false) { try await restProxy(request, context) }
        }
    }

    // MARK: Endpoints

    /// `POST /v1/topics/{topic}`: the body is the value.
    private func single(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let topic = try checkedTopic(request, context)
        let body = try await collect(request)
        var key: [UInt8]?
        var headers: [RecordHeader] = []
        for field in request.headers {
            if field.name == Self.keyHeader {
                guard key == nil else { throw IngestError.malformed("\(field.name.rawName) is given twice; a record has one key") }
                key = try Self.exactBytes(of: field)
            } else if field.name.canonicalName.hasPrefix(Self.headerPrefix) {
                let name = String(field.name.rawName.dropFirst(Self.headerPrefix.count))
                guard !name.isEmpty else { throw IngestError.malformed("header \(field.name.rawName) names no Kafka header: put the name after the prefix") }
                headers.append(RecordHeader(name: name, value: try Self.exactBytes(of: field)))
            }
        }
        let level = try ackLevel(request, topic: topic)
        let buffer = router.buffer(forTopic: topic)
        if level != .memory {
            let answer = await buffer.send(topic: topic, key: key, value: body, headers: headers, ack: level)
            switch answer.disposition {
            case .rejected(let rejection):
                throw IngestError(status: .unprocessableContent, message: rejection.description, restProxyCode: 42202)
            case .dropped(.shuttingDown):
                return JSONResponse.make(.serviceUnavailable, AckReply(answer, asked: level))
            case .delivered:
                return JSONResponse.make(.ok, AckReply(answer, asked: level))
            case .queued, .spooled, .dropped:
                return JSONResponse.make(.accepted, AckReply(answer, asked: level))
            }
        }
        let disposition = timedSend { buffer.send(topic: topic, key: key, value: body, headers: headers) }
        switch disposition {
        case .delivered, .queued, .spooled:
            return JSONResponse.make(.accepted, json: Self.dispositionReply(disposition.name))
        case .dropped(let reason):
            let status: HTTPResponse.Status = reason == .shuttingDown ? .serviceUnavailable : .accepted
            return JSONResponse.make(status, json: Self.dispositionReply("dropped", reason: reason.rawValue))
        case .rejected(let rejection):
            throw IngestError(status: .unprocessableContent, message: rejection.description, restProxyCode: 42202)
        }
    }

    /// `POST /v1/topics/{topic}/records`: a JSON array or NDJSON batch.
    private func batch(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let topic = try checkedTopic(request, context)
        let contentType = mediaType(request)
        if let contentType, !NativeBatch.contentTypes.contains(contentType) {
            throw IngestError.unsupportedMediaType(contentType, supported: NativeBatch.contentTypes)
        }
        let level = try ackLevel(request, topic: topic)
        let items = try NativeBatch.decode(try await collect(request), topic: topic, mediaType: contentType)
        let (answers, reasons) = await send(items, at: level, to: router.buffer(forTopic: topic))
        var summary = BatchSummary()
        var delivered = 0
        for (index, answer) in answers.enumerated() {
            switch answer?.disposition {
            case .delivered?: delivered += 1
            case .queued?: summary.queued += 1
            case .spooled?: summary.spooled += 1
            case .dropped?: summary.dropped += 1
            case .rejected?, nil: summary.rejections.append(.init(index: index, reason: reasons[index] ?? "rejected"))
            }
        }
        summary.accepted = delivered + summary.queued + summary.spooled
        summary.rejected = summary.rejections.count
        if level != .memory {
            // What each record reached, in order (rejected ones: their reason is in `rejections`).
            summary.ack = level.rawValue
            summary.delivered = delivered
            summary.results = answers.map { $0.map { AckReply($0, asked: level) } }
        }
        let status: HTTPResponse.Status = summary.rejected == answers.count ? .unprocessableContent : .accepted
        return JSONResponse.make(status, json: summary.json())
    }

    /// `POST /topics/{topic}`: REST Proxy v2 produce.
    private func restProxy(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        guard let format = RestProxyProduce.format(contentType: request.headers[.contentType]) else {
            throw IngestError.unsupportedMediaType(request.headers[.contentType], supported: RestProxyProduce.contentTypes)
        }
        let topic = try checkedTopic(request, context)
        let level = try ackLevel(request, topic: topic)
        let items = try RestProxyProduce.decode(try await collect(request), topic: topic, format: format)
        let (answers, reasons) = await send(items, at: level, to: router.buffer(forTopic: topic))
        let offsets = answers.enumerated().map { index, answer in
            RestProxyProduce.Offset.answering(answer, at: level, rejection: reasons[index])
        }
        return JSONResponse.make(.ok, RestProxyProduce.Response(offsets: offsets), contentType: RestProxyProduce.responseContentType)
    }

    // MARK: Helpers

    /// The level a request asks for: its `X-Spillway-Ack` header, else the topic's default.
    private func ackLevel(_ request: Request, topic: String) throws(IngestError) -> AckLevel {
        try AckHeader.level(in: request) ?? settings.ackLevel(forTopic: topic)
    }

    /// The items that decoded, with their positions in the batch, and the reasons
    /// of those that did not (counted as `malformed_record`).
    private func decodable(_ items: [Result<OutgoingRecord, IngestRejection>], for buffer: SpillwayBuffer) -> (records: [OutgoingRecord], positions: [Int], reasons: [Int: String]) {
        var records: [OutgoingRecord] = []
        var positions: [Int] = []
        var reasons: [Int: String] = [:]
        for (index, item) in items.enumerated() {
            switch item {
            case .success(let record):
                records.append(record)
                positions.append(index)
            case .failure(let rejection):
                reasons[index] = rejection.reason
            }
        }
        buffer.countRejected("malformed_record", count: reasons.count)
        return (records, positions, reasons)
    }

    /// Hands the decodable items over in one batch at `level`, waiting for their
    /// answers when it is not `memory`; items that failed decoding keep their reason.
    private func send(
        _ items: [Result<OutgoingRecord, IngestRejection>], at level: AckLevel, to buffer: SpillwayBuffer
    ) async -> ([Acknowledgement?], [Int: String]) {
        guard level != .memory else {
            let (dispositions, reasons) = send(items, to: buffer)
            return (dispositions.map { $0.map { Acknowledgement(disposition: $0, reached: $0.isAccepted ? .memory : nil) } }, reasons)
        }
        let (records, positions, decodingFailures) = decodable(items, for: buffer)
        var reasons = decodingFailures
        var answers = [Acknowledgement?](repeating: nil, count: items.count)
        let sent = await buffer.send(records, ack: level)
        for (position, answer) in zip(positions, sent) {
            answers[position] = answer
            if case .rejected(let rejection) = answer.disposition { reasons[position] = rejection.description }
        }
        return (answers, reasons)
    }

    /// Hands the decodable items over in one batch; items that failed decoding keep their reason.
    private func send(_ items: [Result<OutgoingRecord, IngestRejection>], to buffer: SpillwayBuffer) -> ([Disposition?], [Int: String]) {
        let (records, positions, decodingFailures) = decodable(items, for: buffer)
        var reasons = decodingFailures
        var dispositions = [Disposition?](repeating: nil, count: items.count)
        let sent = timedSend { buffer.send(records) }
        for (position, disposition) in zip(positions, sent) {
            dispositions[position] = disposition
            if case .rejected(let rejection) = disposition { reasons[position] = rejection.description }
        }
        return (dispositions, reasons)
    }

    /// A header's value as the client sent it. HTTP/1 header values reach us as
    /// text: bytes that are not UTF-8 were already replaced with U+FFFD by the
    /// HTTP parser, and cannot be told from a U+FFFD the client meant. Rather than
    /// pass on bytes the client never sent, both are refused.
    static func exactBytes(of field: HTTPField) throws(IngestError) -> [UInt8] {
        let bytes = field.withUnsafeBytesOfValue { Array($0) }
        guard let text = String(validating: bytes, as: UTF8.self), !text.unicodeScalars.contains("\u{FFFD}") else {
            throw .malformed(
                "\(field.name.rawName) holds bytes that are not UTF-8 (or U+FFFD, which is what such bytes become); "
                    + "header values are kept exactly or not at all: send binary keys and headers base64-encoded "
                    + "through POST /v1/topics/{topic}/records"
            )
        }
        return bytes
    }

    private func timedSend<T>(_ body: () -> T) -> T {
        let start = ContinuousClock.now
        let result = body()
        let elapsed = ContinuousClock.now - start
        handover.recordNanoseconds(elapsed.nanoseconds)
        return result
    }

    /// A single record's reply at `memory`, written by hand: with `JSONEncoder`
    /// it took three quarters of the handler's time (profiled with `perf`).
    /// The same text the encoder wrote: keys in order, `reason` only when dropped.
    static func dispositionReply(_ disposition: String, reason: String? = nil) -> [UInt8] {
        var json = JSONText(capacity: 64)
        json.beginObject()
        json.field("disposition", disposition)
        json.field("reason", ifPresent: reason)
        json.endObject()
        return json.bytes
    }

    /// Whether the path has an empty segment (`//`), read as bytes: Foundation's
    /// `contains` on a `String` went through `NSString` on every request.
    static func hasEmptySegment(_ path: String) -> Bool {
        var afterSlash = false
        for byte in path.utf8 {
            let slash = byte == UInt8(ascii: "/")
            if slash && afterSlash { return true }
            afterSlash = slash
        }
        return false
    }

    private func checkedTopic(_ request: Request, _ context: BasicRequestContext) throws(IngestError) -> String {
        // The router reads `/v1/topics//records` as topic "records": an empty segment is an empty topic.
        let topic = Self.hasEmptySegment(request.uri.path) ? "" : context.parameters.get("topic") ?? ""
        if let problem = TopicName.problem(with: topic) {
            router.countRejected("invalid_topic")
            throw .invalidTopic("invalid topic name \"\(topic.prefix(300))\": \(problem)")
        }
        if let allowlist = settings.topicAllowlist, !allowlist.contains(topic) {
            router.countRejected("topic_not_allowed", topic: topic)
            throw .forbiddenTopic(topic)
        }
        return topic
    }

    private func collect(_ request: Request) async throws -> [UInt8] {
        do {
            let buffer = try await request.body.collect(upTo: settings.maxBodyBytes)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw IngestError.tooLarge(limit: settings.maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw IngestError.tooLarge(limit: settings.maxBodyBytes)
        }
    }

    private func mediaType(_ request: Request) -> String? {
        request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }

    /// Runs an endpoint, turning its refusals into the right status and body.
    private func respond(native: Bool, _ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as IngestError {
            // A request refused as a whole for what it holds (400) counts once; topic refusals were counted where they were found.
            if error.status == .badRequest { router.countRejected("malformed_record") }
            if native { return JSONResponse.error(error.status, error.message) }
            return JSONResponse.make(error.status, RestProxyError(errorCode: error.restProxyCode, message: error.message), contentType: RestProxyProduce.responseContentType)
        } catch {
            return JSONResponse.error(.badRequest, "could not read the request: \(error)")
        }
    }
}

/// The reply to a native batch. Written by hand (`json()`): at level `spool` or
/// `kafka` it holds one answer per record, which `JSONEncoder` would make the
/// costliest part of the request.
struct BatchSummary {
    struct Rejection {
        var index: Int
        var reason: String
    }

    var accepted = 0
    var queued = 0
    var spooled = 0
    var dropped = 0
    var rejected = 0
    var rejections: [Rejection] = []
    /// At level `spool` or `kafka` only: the level asked, how many Kafka
    /// acknowledged, and each record's answer in order (`null` for a rejected one).
    var ack: String?
    var delivered: Int?
    var results: [AckReply?]?

    /// The reply's JSON, keys sorted at every level, `nil` fields left out.
    func json() -> [UInt8] {
        var json = JSONText(capacity: 128 + (results?.count ?? 0) * 48)
        json.beginObject()
        json.field("accepted", accepted)
        json.field("ack", ifPresent: ack)
        json.field("delivered", ifPresent: delivered)
        json.field("dropped", dropped)
        json.field("queued", queued)
        json.field("rejected", rejected)
        json.beginArray("rejections")
        for rejection in rejections {
            json.beginObject()
            json.field("index", rejection.index)
            json.field("reason", rejection.reason)
            json.endObject()
        }
        json.endArray()
        if let results {
            json.beginArray("results")
            for result in results {
                guard let result else {
                    json.null()
                    continue
                }
                // The level asked is the batch's `ack`; each answer says the rest.
                json.beginObject()
                json.field("ack_reason", ifPresent: result.ackReason)
                json.field("disposition", result.disposition)
                json.field("offset", ifPresent: result.offset)
                json.field("partition", ifPresent: result.partition)
                json.field("reached", ifPresent: result.reached)
                json.field("reason", ifPresent: result.reason)
                json.endObject()
            }
            json.endArray()
        }
        json.field("spooled", spooled)
        json.endObject()
        return json.bytes
    }
}

/// REST Proxy's error body.
struct RestProxyError: Encodable {
    var errorCode: Int
    var message: String

    enum CodingKeys: String, CodingKey {
        case message
        case errorCode = "error_code"
    }
}

